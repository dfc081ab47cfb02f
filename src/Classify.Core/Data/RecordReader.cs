using System.Runtime.CompilerServices;
using Classify.Core.Data.Reading;
using Classify.Core.IO;

namespace Classify.Core.Data;

/// <summary>
/// Streams the rows of a CSV, TSV or JSON Lines file as <see cref="DataRecord"/>s in constant memory (one record
/// at a time, whatever the file size). Opening reads the header and the first data row, so an empty file, a
/// header with no rows or a binary file fails at once with an <see cref="InputException"/> naming the file.
/// </summary>
/// <example>
/// <code>
/// using var reader = RecordReader.Open("train.csv");
/// int text = reader.Columns.IndexOf("text");
/// foreach (DataRecord row in reader.ReadAll()) Console.WriteLine($"{row.Line}: {row[text]}");
/// Console.WriteLine(reader.Sha256);
/// </code>
/// </example>
public sealed class RecordReader : IDisposable
{
    private readonly TextSource _source;
    private readonly RecordParser _parser;
    private DataRecord? _peeked;
    private bool _atEnd;

    private RecordReader(string path, DataFormat format, TextSource source, RecordParser parser)
    {
        Path = path;
        Format = format;
        _source = source;
        _parser = parser;
    }

    /// <summary>The file path as given (used in error messages).</summary>
    public string Path { get; }

    /// <summary>The format being read.</summary>
    public DataFormat Format { get; }

    /// <summary>
    /// The columns: the header of a CSV/TSV file (or positional names for a headerless one), or the keys of the
    /// first object in a JSON Lines file (later objects may have other keys; see <see cref="DataRecord.Columns"/>).
    /// </summary>
    public RecordColumns Columns => _parser.Columns!;

    /// <summary>Data rows returned so far.</summary>
    public long RowsRead { get; private set; }

    /// <summary>Invalid UTF-8 sequences replaced by U+FFFD so far.</summary>
    public long InvalidUtf8Replaced => _source.InvalidUtf8Replaced;

    /// <summary>Lower-case hex SHA-256 of the file's bytes; null until the whole file has been read.</summary>
    public string? Sha256 => _source.Sha256;

    /// <summary>Opens a file and reads up to its first data row.</summary>
    /// <exception cref="InputException">Missing, empty, binary or header-only file, or a bad first row.</exception>
    public static RecordReader Open(string path, RecordReaderOptions? options = null) => OpenCore(path, options, allowHeaderOnly: false);

    /// <summary>As <see cref="Open"/>, but a CSV/TSV header with no data rows is a reader with no rows (<see cref="CsvTable"/>).</summary>
    internal static RecordReader OpenAllowingHeaderOnly(string path, RecordReaderOptions? options) =>
        OpenCore(path, options, allowHeaderOnly: true);

    private static RecordReader OpenCore(string path, RecordReaderOptions? options, bool allowHeaderOnly)
    {
        var reader = Create(path, options);
        try
        {
            reader._peeked = reader.ReadCore();
            reader.EnsureHasRows(allowHeaderOnly);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Asynchronous <see cref="Open"/>.</summary>
    public static async Task<RecordReader> OpenAsync(string path, RecordReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        var reader = Create(path, options);
        try
        {
            reader._peeked = await reader.ReadCoreAsync(cancellationToken).ConfigureAwait(false);
            reader.EnsureHasRows(allowHeaderOnly: false);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>The next record, or null at the end of the file.</summary>
    public DataRecord? Read()
    {
        if (TakePeeked(out var record)) return record;
        return Count(ReadCore());
    }

    /// <summary>Asynchronous <see cref="Read"/>.</summary>
    public async ValueTask<DataRecord?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (TakePeeked(out var record)) return record;
        return Count(await ReadCoreAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Enumerates the remaining records (single pass).</summary>
    public IEnumerable<DataRecord> ReadAll(CancellationToken cancellationToken = default)
    {
        while (Read() is { } record)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }
    }

    /// <summary>Asynchronously enumerates the remaining records (single pass).</summary>
    public async IAsyncEnumerable<DataRecord> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadAsync(cancellationToken).ConfigureAwait(false) is { } record)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }
    }

    /// <summary>Reads all records and returns the number of rows, the invalid UTF-8 count and the SHA-256 of the file.</summary>
    public static (long Rows, long InvalidUtf8Replaced, string Sha256) Scan(string path, RecordReaderOptions? options = null)
    {
        using var reader = Open(path, options);
        while (reader.Read() != null) { }
        return (reader.RowsRead, reader.InvalidUtf8Replaced, reader.Sha256!);
    }

    /// <inheritdoc />
    public void Dispose() => _source.Dispose();

    private static RecordReader Create(string path, RecordReaderOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new RecordReaderOptions();
        var format = DataFormats.Resolve(path, options.Format);
        if (Directory.Exists(path)) throw new InputException("expected a data file but this is a directory", path);
        var source = TextSource.Open(path);
        RecordParser parser = format switch
        {
            DataFormat.JsonLines => new JsonLinesParser(source),
            _ => new DelimitedParser(source, options.Separator ?? (format == DataFormat.Tsv ? '\t' : ','),
                options.Quoting, options.HasHeader, options.ColumnNames),
        };
        return new RecordReader(path, format, source, parser);
    }

    private void EnsureHasRows(bool allowHeaderOnly)
    {
        if (_peeked != null) return;
        if (_parser.Columns != null && Format != DataFormat.JsonLines)
        {
            if (allowHeaderOnly) return;
            throw new InputException($"the file has a header ({_parser.Columns.Describe()}) but no data rows", Path);
        }
        throw new InputException("the file has no data rows (it is empty or blank)", Path);
    }

    private bool TakePeeked(out DataRecord? record)
    {
        record = _peeked;
        if (record == null) return false;
        _peeked = null;
        RowsRead++;
        return true;
    }

    private DataRecord? Count(DataRecord? record)
    {
        if (record != null) RowsRead++;
        return record;
    }

    private DataRecord? ReadCore()
    {
        if (_atEnd) return null;
        while (true)
        {
            if (_parser.TryParse(out var record)) return record;
            if (!_source.Fill()) return Finish();
        }
    }

    private async ValueTask<DataRecord?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        if (_atEnd) return null;
        while (true)
        {
            if (_parser.TryParse(out var record)) return record;
            if (!await _source.FillAsync(cancellationToken).ConfigureAwait(false)) return Finish();
        }
    }

    private DataRecord? Finish()
    {
        var record = _parser.Complete();
        if (record == null) _atEnd = true;
        return record;
    }
}
