using System.Security.Cryptography;
using System.Text;
using Classify.Core.IO;

namespace Classify.Core.Data.Reading;

/// <summary>
/// Decodes a file as UTF-8 into a char window, one block at a time, so that memory stays constant whatever the
/// file size. On the way it skips a byte-order mark, rejects files that look binary, replaces invalid UTF-8 with
/// U+FFFD (counting the replacements) and hashes every byte (SHA-256) so a run can record what it read.
/// </summary>
internal sealed class TextSource : IDisposable
{
    // 32 KiB of bytes decode to at most 32 Ki chars: both buffers stay below the large-object-heap threshold.
    private const int BlockSize = 1 << 15;
    private const int SniffSize = 8192;

    private readonly Stream _stream;
    private readonly byte[] _bytes = new byte[BlockSize];
    private readonly char[] _chars;
    private readonly Decoder _decoder;
    private readonly CountingDecoderFallback _fallback = new();
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _endOfStream;
    private bool _started;

    private TextSource(string path, Stream stream)
    {
        FileName = path;
        _stream = stream;
        var encoding = (Encoding)new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).Clone();
        encoding.DecoderFallback = _fallback;
        _decoder = encoding.GetDecoder();
        _chars = new char[encoding.GetMaxCharCount(BlockSize)];
    }

    /// <summary>The file name used in error messages.</summary>
    public string FileName { get; }

    /// <summary>The decoded chars; valid from <see cref="Position"/> to <see cref="Length"/>.</summary>
    public char[] Buffer => _chars;

    /// <summary>Index of the next unread char in <see cref="Buffer"/>; readers advance it.</summary>
    public int Position { get; set; }

    /// <summary>End of the valid chars in <see cref="Buffer"/>.</summary>
    public int Length { get; private set; }

    /// <summary>Number of invalid UTF-8 sequences replaced by U+FFFD so far.</summary>
    public long InvalidUtf8Replaced => _fallback.Count;

    /// <summary>Lower-case hex SHA-256 of the whole file, available once the end has been reached.</summary>
    public string? Sha256 { get; private set; }

    /// <summary>Opens a file for reading.</summary>
    /// <exception cref="InputException">The file does not exist or cannot be opened.</exception>
    public static TextSource Open(string path)
    {
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1,
                FileOptions.SequentialScan | FileOptions.Asynchronous);
            return new TextSource(path, stream);
        }
        catch (FileNotFoundException e) { throw new InputException("file not found", path, inner: e); }
        catch (DirectoryNotFoundException e) { throw new InputException("file not found (no such directory)", path, inner: e); }
        catch (UnauthorizedAccessException e) { throw new InputException("permission denied", path, inner: e); }
        catch (IOException e) { throw new InputException($"cannot open: {e.Message}", path, inner: e); }
    }

    /// <summary>Replaces the consumed chars with the next decoded block. Returns false at the end of the file.</summary>
    public bool Fill()
    {
        if (_endOfStream) return false;
        int n = _started ? _stream.Read(_bytes, 0, BlockSize) : ReadFirstBlock();
        return Decode(n);
    }

    /// <summary>Asynchronous <see cref="Fill"/>.</summary>
    public async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_endOfStream) return false;
        int n;
        if (_started) n = await _stream.ReadAsync(_bytes.AsMemory(0, BlockSize), cancellationToken).ConfigureAwait(false);
        else n = await ReadFirstBlockAsync(cancellationToken).ConfigureAwait(false);
        return Decode(n);
    }

    private int ReadFirstBlock()
    {
        int n = 0, r;
        while (n < BlockSize && (r = _stream.Read(_bytes, n, BlockSize - n)) > 0) n += r;
        return n;
    }

    private async ValueTask<int> ReadFirstBlockAsync(CancellationToken cancellationToken)
    {
        int n = 0, r;
        while (n < BlockSize && (r = await _stream.ReadAsync(_bytes.AsMemory(n, BlockSize - n), cancellationToken).ConfigureAwait(false)) > 0) n += r;
        return n;
    }

    private bool Decode(int byteCount)
    {
        int offset = 0;
        if (!_started)
        {
            _started = true;
            Sniff(_bytes.AsSpan(0, byteCount));
            if (byteCount >= 3 && _bytes[0] == 0xEF && _bytes[1] == 0xBB && _bytes[2] == 0xBF) offset = 3;
        }
        _hash.AppendData(_bytes, 0, byteCount);
        bool last = byteCount == 0;
        if (last)
        {
            _endOfStream = true;
            Sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
        }
        Length = _decoder.GetChars(_bytes, offset, byteCount - offset, _chars, 0, flush: last);
        Position = 0;
        // A block can decode to zero chars only when it ends inside a multi-byte sequence; the caller simply asks again.
        return !last || Length > 0;
    }

    /// <summary>Rejects empty files and files that are evidently not text, before any parsing error could mislead.</summary>
    private void Sniff(ReadOnlySpan<byte> head)
    {
        if (head.Length == 0) throw new InputException("the file is empty", FileName);
        if (head.Length >= 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF))
            throw new InputException("the file is UTF-16 encoded; save it as UTF-8", FileName);
        string? kind = head switch
        {
            [0x1F, 0x8B, ..] => "gzip archive",
            [0x50, 0x4B, 0x03, 0x04, ..] => "zip archive, e.g. .xlsx; export it as CSV",
            [0x89, 0x50, 0x4E, 0x47, ..] => "PNG image",
            [0xFF, 0xD8, 0xFF, ..] => "JPEG image",
            [0x25, 0x50, 0x44, 0x46, ..] => "PDF document",
            [0x42, 0x5A, 0x68, ..] => "bzip2 archive",
            [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, ..] => "xz archive",
            [0x28, 0xB5, 0x2F, 0xFD, ..] => "zstd archive",
            [0x50, 0x41, 0x52, 0x31, ..] => "Parquet file",
            [0x53, 0x51, 0x4C, 0x69, 0x74, 0x65, ..] => "SQLite database",
            _ => null,
        };
        if (kind != null) throw new InputException($"the file looks binary ({kind}), not CSV, TSV or JSON Lines text", FileName);
        var sample = head[..Math.Min(head.Length, SniffSize)];
        int control = 0;
        foreach (var b in sample)
        {
            if (b == 0) throw new InputException("the file looks binary (it contains NUL bytes), not CSV, TSV or JSON Lines text", FileName);
            if (b < 0x09 || b is > 0x0D and < 0x20 and not 0x1B || b == 0x7F) control++;
        }
        if (control * 20 > sample.Length)
            throw new InputException($"the file looks binary ({control} control bytes in the first {sample.Length}), not CSV, TSV or JSON Lines text", FileName);
    }

    public void Dispose()
    {
        _stream.Dispose();
        _hash.Dispose();
    }

    /// <summary>A UTF-8 decoder fallback that emits U+FFFD like the default one, and counts how often it did.</summary>
    private sealed class CountingDecoderFallback : DecoderFallback
    {
        public long Count;

        public override int MaxCharCount => 1;

        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(this);

        private sealed class Buffer(CountingDecoderFallback owner) : DecoderFallbackBuffer
        {
            private int _remaining;

            public override int Remaining => _remaining;

            public override bool Fallback(byte[] bytesUnknown, int index)
            {
                owner.Count++;
                _remaining = 1;
                return true;
            }

            public override char GetNextChar()
            {
                if (_remaining == 0) return '\0';
                _remaining--;
                return '\uFFFD';
            }

            public override bool MovePrevious()
            {
                if (_remaining != 0) return false;
                _remaining = 1;
                return true;
            }

            public override void Reset() => _remaining = 0;
        }
    }
}
