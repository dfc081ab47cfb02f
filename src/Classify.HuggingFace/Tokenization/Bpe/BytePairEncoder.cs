using System.Buffers;
using System.Collections.Concurrent;

namespace Classify.HuggingFace.Tokenization.Bpe;

/// <summary>
/// Byte-level BPE over one pre-token: the UTF-8 bytes become their stand-in symbols, then the lowest-ranked adjacent
/// pair is merged (every occurrence, left to right, as GPT-2's <c>bpe()</c>) until no pair has a rank. Results are
/// cached by pre-token text, which makes repeated words cost one dictionary lookup.
/// </summary>
internal sealed class BytePairEncoder
{
    private const int CacheCapacity = 200_000;

    private readonly Dictionary<long, (int Rank, int Merged)> _merges;
    private readonly int[] _byteSymbols = new int[256];
    private readonly int _firstExtraSymbol;
    private readonly int? _unkId;
    private readonly ConcurrentDictionary<string, BpeWord> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BpeWord>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    /// <param name="vocab">Token string → id.</param>
    /// <param name="merges">The merges in rank order.</param>
    /// <param name="unkId">The id for symbols missing from the vocabulary; null drops them (Rust BPE without unk_token).</param>
    public BytePairEncoder(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string First, string Second)> merges, int? unkId)
    {
        _unkId = unkId;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        var symbols = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        _firstExtraSymbol = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        var nextExtra = _firstExtraSymbol;
        int Symbol(string s)
        {
            if (!symbols.TryGetValue(s, out var id)) symbols[s] = id = nextExtra++;
            return id;
        }
        for (var b = 0; b < 256; b++) _byteSymbols[b] = Symbol(ByteLevel.ByteToChar[b].ToString());
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (first, second) = merges[rank];
            _merges.TryAdd(Key(Symbol(first), Symbol(second)), (rank, Symbol(first + second)));
        }
    }

    /// <summary>Appends the tokens of <paramref name="preToken"/>, whose first character is at <paramref name="offset"/> in the source text.</summary>
    public void Encode(ReadOnlySpan<char> preToken, int offset, TokenBuffer output)
    {
        if (!_cacheLookup.TryGetValue(preToken, out var word))
        {
            word = Merge(preToken);
            if (_cache.Count < CacheCapacity) _cache.TryAdd(preToken.ToString(), word);
        }
        for (var k = 0; k < word.Ids.Length; k++) output.Add(word.Ids[k], offset + word.Starts[k], offset + word.Ends[k]);
    }

    /// <summary>Splits <paramref name="text"/> with the GPT-2 pattern and encodes every pre-token.</summary>
    public void EncodeText(ReadOnlySpan<char> text, int offset, TokenBuffer output)
    {
        for (var i = 0; i < text.Length;)
        {
            var end = ByteLevel.NextPreTokenEnd(text, i);
            Encode(text[i..end], offset + i, output);
            i = end;
        }
    }

    private static long Key(int first, int second) => ((long)first << 32) | (uint)second;

    private BpeWord Merge(ReadOnlySpan<char> preToken)
    {
        var byteCount = System.Text.Encoding.UTF8.GetByteCount(preToken);
        var bytes = ArrayPool<byte>.Shared.Rent(byteCount);
        var symbols = ArrayPool<int>.Shared.Rent(byteCount);
        var byteStarts = ArrayPool<int>.Shared.Rent(byteCount + 1);
        var charStarts = ArrayPool<int>.Shared.Rent(byteCount);
        var charEnds = ArrayPool<int>.Shared.Rent(byteCount);
        try
        {
            System.Text.Encoding.UTF8.GetBytes(preToken, bytes);
            // Which characters each byte belongs to, for offsets.
            for (int i = 0, b = 0; i < preToken.Length;)
            {
                var length = char.IsHighSurrogate(preToken[i]) && i + 1 < preToken.Length && char.IsLowSurrogate(preToken[i + 1]) ? 2 : 1;
                var n = System.Text.Encoding.UTF8.GetByteCount(preToken.Slice(i, length));
                for (var k = 0; k < n; k++, b++)
                {
                    charStarts[b] = i;
                    charEnds[b] = i + length;
                }
                i += length;
            }

            var count = byteCount;
            for (var b = 0; b < count; b++)
            {
                symbols[b] = _byteSymbols[bytes[b]];
                byteStarts[b] = b;
            }
            byteStarts[count] = byteCount;

            while (count > 1)
            {
                var bestRank = int.MaxValue;
                int bestFirst = 0, bestSecond = 0, merged = 0;
                for (var j = 0; j + 1 < count; j++)
                {
                    if (_merges.TryGetValue(Key(symbols[j], symbols[j + 1]), out var m) && m.Rank < bestRank)
                        (bestRank, bestFirst, bestSecond, merged) = (m.Rank, symbols[j], symbols[j + 1], m.Merged);
                }
                if (bestRank == int.MaxValue) break;
                var write = 0;
                for (var j = 0; j < count; write++)
                {
                    byteStarts[write] = byteStarts[j];
                    if (j + 1 < count && symbols[j] == bestFirst && symbols[j + 1] == bestSecond)
                    {
                        symbols[write] = merged;
                        j += 2;
                    }
                    else symbols[write] = symbols[j++];
                }
                count = write;
                byteStarts[count] = byteCount;
            }

            var ids = new List<int>(count);
            var starts = new List<int>(count);
            var ends = new List<int>(count);
            for (var j = 0; j < count; j++)
            {
                var id = symbols[j] >= _firstExtraSymbol ? _unkId : symbols[j];
                if (id is null) continue;
                ids.Add(id.Value);
                starts.Add(charStarts[byteStarts[j]]);
                ends.Add(charEnds[byteStarts[j + 1] - 1]);
            }
            return new BpeWord([.. ids], [.. starts], [.. ends]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<int>.Shared.Return(symbols);
            ArrayPool<int>.Shared.Return(byteStarts);
            ArrayPool<int>.Shared.Return(charStarts);
            ArrayPool<int>.Shared.Return(charEnds);
        }
    }

    /// <summary>The tokens of one pre-token with their character spans relative to its start.</summary>
    private sealed record BpeWord(int[] Ids, int[] Starts, int[] Ends);
}
