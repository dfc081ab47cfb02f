using System.Buffers;

namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// Splits text at added tokens: leftmost match first, the longest of those starting there (what both Hugging Face's
/// trie and the Rust Aho-Corasick matcher do), with lstrip/rstrip extending a match over adjacent whitespace but
/// never into the previous match.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;
    private readonly SearchValues<string> _contents;
    private readonly Func<int, bool> _isStripSpace;

    /// <param name="tokens">The tokens to match.</param>
    /// <param name="isStripSpace">What lstrip/rstrip remove: Python's <c>str.isspace</c> for slow tokenizers, Unicode White_Space for fast ones.</param>
    public AddedTokenMatcher(IEnumerable<AddedToken> tokens, Func<int, bool> isStripSpace)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _contents = SearchValues.Create(_byFirstChar.Values.SelectMany(g => g).Select(t => t.Content).Distinct().ToArray(), StringComparison.Ordinal);
        _isStripSpace = isStripSpace;
    }

    /// <summary>True when there is nothing to match.</summary>
    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>False when no added token occurs in <paramref name="text"/> (one vectorized multi-string search).</summary>
    public bool MightMatch(ReadOnlySpan<char> text) => !IsEmpty && text.ContainsAny(_contents);

    /// <summary>
    /// Appends the pieces of <paramref name="text"/>: matches carry their token, the text between them carries null.
    /// Empty text pieces are left out.
    /// </summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int End, AddedToken? Token)> pieces)
    {
        var pos = 0;
        var searchFrom = 0;
        while (searchFrom < text.Length)
        {
            // The leftmost position where any token starts; the longest token there wins.
            var found = text[searchFrom..].IndexOfAny(_contents);
            if (found < 0) break;
            var at = searchFrom + found;
            var token = LongestMatchAt(text, at);
            if (token is null)
            {
                searchFrom = at + 1;
                continue;
            }
            int start = at, end = at + token.Content.Length;
            if (token.LStrip)
                while (start > pos && _isStripSpace(text[start - 1])) start--;
            if (token.RStrip)
                while (end < text.Length && _isStripSpace(text[end])) end++;
            if (start > pos) pieces.Add((pos, start, null));
            pieces.Add((start, end, token));
            pos = searchFrom = end;
        }
        if (pos < text.Length) pieces.Add((pos, text.Length, null));
    }

    private AddedToken? LongestMatchAt(ReadOnlySpan<char> text, int at)
    {
        var rest = text[at..];
        foreach (var token in _byFirstChar[text[at]])
        {
            if (!rest.StartsWith(token.Content, StringComparison.Ordinal)) continue;
            if (token.SingleWord && !IsWordBoundary(text, at, at + token.Content.Length)) continue;
            return token;
        }
        return null;
    }

    private static bool IsWordBoundary(ReadOnlySpan<char> text, int start, int end) =>
        (start == 0 || !IsWordChar(text[start - 1])) && (end >= text.Length || !IsWordChar(text[end]));

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
