namespace Classify.HuggingFace.Tokenization.WordPiece;

/// <summary>
/// BERT's <c>WordpieceTokenizer</c>: greedy longest-match-first over one word, continuation pieces prefixed with
/// "##"; a word with an unmatched piece, or longer than <c>max_input_chars_per_word</c> code points, becomes one unk.
/// </summary>
internal sealed class WordpieceTokenizer(Dictionary<string, int> vocab, int unkId, int maxInputCharsPerWord = 100)
{
    private const string ContinuationPrefix = "##";
    [ThreadStatic] private static char[]? t_scratch;

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Appends the pieces of <paramref name="word"/>; <paramref name="starts"/>/<paramref name="ends"/> give each char's source span.</summary>
    public void TokenizeWord(ReadOnlySpan<char> word, ReadOnlySpan<int> starts, ReadOnlySpan<int> ends, TokenBuffer output)
    {
        var n = word.Length;
        if (n == 0) return;
        if (n > maxInputCharsPerWord && CountCodePoints(word) > maxInputCharsPerWord)
        {
            output.Add(unkId, starts[0], ends[n - 1]);
            return;
        }
        if (_lookup.TryGetValue(word, out var whole))
        {
            output.Add(whole, starts[0], ends[n - 1]);
            return;
        }

        var scratch = t_scratch;
        if (scratch is null || scratch.Length < n + ContinuationPrefix.Length)
            t_scratch = scratch = new char[Math.Max(256, n + ContinuationPrefix.Length)];
        scratch[0] = scratch[1] = '#';

        var firstToken = output.Count;
        var start = 0;
        while (start < n)
        {
            var end = n;
            var id = -1;
            while (start < end)
            {
                ReadOnlySpan<char> candidate;
                if (start == 0) candidate = word[..end];
                else
                {
                    word[start..end].CopyTo(scratch.AsSpan(ContinuationPrefix.Length));
                    candidate = scratch.AsSpan(0, ContinuationPrefix.Length + end - start);
                }
                if (_lookup.TryGetValue(candidate, out id)) break;
                id = -1;
                end--;
            }
            if (id < 0)
            {
                output.Count = firstToken;
                output.Add(unkId, starts[0], ends[n - 1]);
                return;
            }
            output.Add(id, starts[start], ends[end - 1]);
            start = end;
        }
    }

    private static int CountCodePoints(ReadOnlySpan<char> word)
    {
        var count = word.Length;
        for (var i = 0; i + 1 < word.Length; i++)
            if (char.IsHighSurrogate(word[i]) && char.IsLowSurrogate(word[i + 1])) count--;
        return count;
    }
}
