using System.Text;
using System.Text.RegularExpressions;
using Classify.Core.Cleaning;

namespace Classify.Linear.FeatureExtraction;

/// <summary>
/// scikit-learn's <c>build_analyzer()</c>: preprocessing (lower-case, then strip accents), tokenising, stop words,
/// and the word / char / char_wb n-gram rules. Term strings are never built here: callers get spans of the
/// preprocessed text (or of a small buffer), which keeps fitting and transforming allocation-free per term.
/// </summary>
internal sealed class TextAnalyzer
{
    private readonly TfidfVectorizerOptions _options;
    private readonly Regex? _tokenRegex;        // null: the default pattern or the recipe's, scanned by hand
    private readonly bool _wordsAndMarks;       // (?u)\b\w+\b|[^\w\s] (the zero-config recipe's), scanned by hand
    private readonly bool _tokenRegexHasGroup;
    private readonly bool _stopWords;

    public TextAnalyzer(TfidfVectorizerOptions options)
    {
        _options = options;
        Analyzer = options.Analyzer;
        MinN = options.NgramRange.Min;
        MaxN = options.NgramRange.Max;
        _stopWords = options.StopWords == "english" && options.Analyzer == TfidfAnalyzer.Word;
        _wordsAndMarks = options.Analyzer == TfidfAnalyzer.Word && options.TokenPattern is WordsAndMarksPattern or @"\b\w+\b|[^\w\s]";
        if (options.Analyzer == TfidfAnalyzer.Word && !_wordsAndMarks && options.TokenPattern is not (TfidfVectorizerOptions.DefaultTokenPattern or @"\b\w\w+\b"))
        {
            _tokenRegex = PythonRegex.Compile(options.TokenPattern);
            int groups = _tokenRegex.GetGroupNumbers().Length - 1;
            if (groups > 1)
                throw new Classify.Core.IO.InputException(
                    $"token_pattern has {groups} capturing groups; at most one is allowed (its match is the token).", field: "token_pattern");
            _tokenRegexHasGroup = groups == 1;
        }
    }

    public TfidfAnalyzer Analyzer { get; }
    public int MinN { get; }
    public int MaxN { get; }

    /// <summary>scikit-learn's <c>_preprocess</c>: <c>str.lower()</c> first, then accent stripping.</summary>
    public string Preprocess(string document)
    {
        var text = _options.Lowercase ? PythonText.Lower(document) : document;
        return _options.StripAccents switch
        {
            AccentStripping.Unicode => PythonText.StripAccentsUnicode(text),
            AccentStripping.Ascii => PythonText.StripAccentsAscii(text),
            _ => text,
        };
    }

    /// <summary>The tokens of a preprocessed text, as (start, length), stop words removed.</summary>
    public void Tokenize(string text, List<(int Start, int Length)> tokens)
    {
        tokens.Clear();
        if (_wordsAndMarks) ScanWordsAndMarks(text, tokens);
        else if (_tokenRegex is null) ScanDefaultTokens(text, tokens);
        else if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0) MatchTokens(text, tokens);
        else
        {
            // .NET regexes see UTF-16 units, Python sees code points: match on a stand-in text where each
            // astral code point is one BMP character of the same class, then map the positions back.
            var (shadow, map) = ShadowAstralCodePoints(text);
            MatchTokens(shadow, tokens);
            for (int t = 0; t < tokens.Count; t++)
            {
                int start = map[tokens[t].Start];
                tokens[t] = (start, map[tokens[t].Start + tokens[t].Length] - start);
            }
        }
        if (_stopWords) tokens.RemoveAll(t => EnglishStopWords.Contains(text.AsSpan(t.Start, t.Length)));
    }

    private void MatchTokens(string text, List<(int Start, int Length)> tokens)
    {
        if (_tokenRegexHasGroup)
        {
            for (var m = _tokenRegex!.Match(text); m.Success; m = m.NextMatch())
            {
                var g = m.Groups[1];
                tokens.Add(g.Success ? (g.Index, g.Length) : (m.Index, 0)); // Python's findall gives '' for a group that did not take part
            }
        }
        else
        {
            foreach (var m in _tokenRegex!.EnumerateMatches(text)) tokens.Add((m.Index, m.Length));
        }
    }

    private const char AstralWordStandIn = '\uA7FF';    // a letter (Lo): matches \w as an astral letter or number does
    private const char AstralOtherStandIn = '\uE000';   // private use: matches neither \w nor \s, as emoji

    /// <summary>The text with each astral code point replaced by one stand-in character, and each stand-in position's original index (plus the end).</summary>
    private static (string Shadow, int[] Map) ShadowAstralCodePoints(string text)
    {
        var sb = new StringBuilder(text.Length);
        var map = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length; i++)
        {
            map.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(PythonText.IsWordCharacter(new Rune(text[i], text[i + 1])) ? AstralWordStandIn : AstralOtherStandIn);
                i++;
            }
            else sb.Append(text[i]);
        }
        map.Add(text.Length);
        return (sb.ToString(), map.ToArray());
    }

    /// <summary><c>(?u)\b\w\w+\b</c>: every maximal run of Python word characters that is at least two code points long.</summary>
    private static void ScanDefaultTokens(string text, List<(int Start, int Length)> tokens)
    {
        var span = text.AsSpan();
        int i = 0;
        while (i < span.Length)
        {
            Rune.DecodeFromUtf16(span[i..], out var rune, out int width);
            if (!PythonText.IsWordCharacter(rune)) { i += width; continue; }
            int start = i, codePoints = 0;
            while (i < span.Length)
            {
                Rune.DecodeFromUtf16(span[i..], out rune, out width);
                if (!PythonText.IsWordCharacter(rune)) break;
                i += width;
                codePoints++;
            }
            if (codePoints >= 2) tokens.Add((start, i - start));
        }
    }

    /// <summary>The token pattern <c>(?u)\b\w+\b|[^\w\s]</c>, which <see cref="ScanWordsAndMarks"/> scans without a regex.</summary>
    public const string WordsAndMarksPattern = @"(?u)\b\w+\b|[^\w\s]";

    /// <summary>
    /// <c>(?u)\b\w+\b|[^\w\s]</c>: every maximal run of Python word characters, and every other code point that is not
    /// white space as a token of its own (the regex's matches, in order, at a fraction of its cost).
    /// </summary>
    internal static void ScanWordsAndMarks(string text, List<(int Start, int Length)> tokens)
    {
        var span = text.AsSpan();
        int i = 0;
        while (i < span.Length)
        {
            Rune.DecodeFromUtf16(span[i..], out var rune, out int width);
            if (!PythonText.IsWordCharacter(rune))
            {
                if (!PythonText.IsSpace(span[i])) tokens.Add((i, width));
                i += width;
                continue;
            }
            int start = i;
            while (i < span.Length)
            {
                Rune.DecodeFromUtf16(span[i..], out rune, out width);
                if (!PythonText.IsWordCharacter(rune)) break;
                i += width;
            }
            tokens.Add((start, i - start));
        }
    }

    /// <summary>
    /// The <c>char</c> analyzer's n-grams of at most 3 code points, as packed keys (<see cref="TfidfVectorizer.Pack"/>):
    /// one pass over the text, white-space runs collapsed on the fly as <see cref="CollapseWhitespaceRuns"/> does, each
    /// n-gram's key rolled from the previous one. The same occurrences as <see cref="ForEachTerm"/>, in another order.
    /// </summary>
    public void ForEachPackedCharTerm<TSink>(string text, ref TSink sink) where TSink : struct, IPackedTermSink
    {
        ulong window = 0;
        int seen = 0;
        var span = text.AsSpan();
        int i = 0;
        while (i < span.Length)
        {
            int cp = span[i], width = 1;
            if (PythonText.IsSpace(span[i]))
            {
                int end = i + 1;
                while (end < span.Length && PythonText.IsSpace(span[end])) end++;
                if (end - i >= 2) { cp = ' '; width = end - i; }
            }
            else if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                cp = char.ConvertToUtf32(span[i], span[i + 1]);
                width = 2;
            }
            i += width;
            window = ((window << 21) | (uint)(cp + 1)) & ((1UL << 63) - 1);
            seen++;
            for (int n = MinN; n <= MaxN && n <= seen; n++)
                sink.Term(n == 3 ? window : window & ((1UL << (21 * n)) - 1));
        }
    }

    /// <summary>scikit-learn's <c>_white_spaces.sub(" ", text)</c> with <c>\s\s+</c>: runs of two or more white-space characters become one space.</summary>
    public static string CollapseWhitespaceRuns(string text)
    {
        int i = 0;
        while (i + 1 < text.Length && !(PythonText.IsSpace(text[i]) && PythonText.IsSpace(text[i + 1]))) i++;
        if (i + 1 >= text.Length) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, i);
        while (i < text.Length)
        {
            if (PythonText.IsSpace(text[i]) && i + 1 < text.Length && PythonText.IsSpace(text[i + 1]))
            {
                while (i < text.Length && PythonText.IsSpace(text[i])) i++;
                sb.Append(' ');
            }
            else sb.Append(text[i++]);
        }
        return sb.ToString();
    }

    /// <summary>Code point start offsets of <paramref name="text"/> plus its length at the end (Python slices by code point).</summary>
    public static void CodePointOffsets(ReadOnlySpan<char> text, List<int> offsets)
    {
        offsets.Clear();
        for (int i = 0; i < text.Length; i++)
        {
            offsets.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
        }
        offsets.Add(text.Length);
    }

    /// <summary>
    /// The words of a whitespace-collapsed text for char_wb, as Python's <c>str.split()</c> gives them.
    /// </summary>
    public static void SplitWords(string text, List<(int Start, int Length)> words)
    {
        words.Clear();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && PythonText.IsSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !PythonText.IsSpace(text[i])) i++;
            if (i > start) words.Add((start, i - start));
        }
    }

    /// <summary>
    /// Visits every term occurrence of a preprocessed document as a span, in scikit-learn's order. Per-thread
    /// scratch space lives in <paramref name="scratch"/>.
    /// </summary>
    public void ForEachTerm<TSink>(string text, Scratch scratch, ref TSink sink) where TSink : struct, ITermSink
    {
        switch (Analyzer)
        {
            case TfidfAnalyzer.Word:
                WordTerms(text, scratch, ref sink);
                break;
            case TfidfAnalyzer.Char:
                CharTerms(CollapseWhitespaceRuns(text), scratch, ref sink);
                break;
            default:
                CharWbTerms(CollapseWhitespaceRuns(text), scratch, ref sink);
                break;
        }
    }

    private void WordTerms<TSink>(string text, Scratch scratch, ref TSink sink) where TSink : struct, ITermSink
    {
        var tokens = scratch.Tokens;
        Tokenize(text, tokens);
        var span = text.AsSpan();
        for (int i = 0; i < tokens.Count; i++)
        {
            // Build "t_i t_i+1 … t_i+k" incrementally in the buffer; emit the lengths inside ngram_range.
            int length = 0;
            for (int k = 0; k < MaxN && i + k < tokens.Count; k++)
            {
                var token = span.Slice(tokens[i + k].Start, tokens[i + k].Length);
                int needed = length + token.Length + 1;
                if (scratch.Buffer.Length < needed) Array.Resize(ref scratch.Buffer, Math.Max(needed, scratch.Buffer.Length * 2));
                if (k > 0) scratch.Buffer[length++] = ' ';
                token.CopyTo(scratch.Buffer.AsSpan(length));
                length += token.Length;
                if (k + 1 >= MinN) sink.Term(scratch.Buffer.AsSpan(0, length));
            }
        }
    }

    private void CharTerms<TSink>(string text, Scratch scratch, ref TSink sink) where TSink : struct, ITermSink
    {
        var offsets = scratch.Offsets;
        CodePointOffsets(text, offsets);
        int n = offsets.Count - 1; // code points
        var span = text.AsSpan();
        // sklearn emits all unigrams first, then all bigrams, …; the order does not change the counts.
        for (int len = MinN; len <= Math.Min(MaxN, n); len++)
            for (int i = 0; i + len <= n; i++)
                sink.Term(span[offsets[i]..offsets[i + len]]);
    }

    private void CharWbTerms<TSink>(string text, Scratch scratch, ref TSink sink) where TSink : struct, ITermSink
    {
        var words = scratch.Tokens;
        SplitWords(text, words);
        var offsets = scratch.Offsets;
        foreach (var (start, length) in words)
        {
            int needed = length + 2;
            if (scratch.Buffer.Length < needed) Array.Resize(ref scratch.Buffer, Math.Max(needed, scratch.Buffer.Length * 2));
            var w = scratch.Buffer.AsSpan(0, needed);
            w[0] = ' ';
            text.AsSpan(start, length).CopyTo(w[1..]);
            w[^1] = ' ';
            CodePointOffsets(w, offsets);
            int wLen = offsets.Count - 1;
            for (int n = MinN; n <= MaxN; n++)
            {
                // w[0:n] is the whole padded word when it is shorter than n; such a word is counted once only.
                sink.Term(w[..offsets[Math.Min(n, wLen)]]);
                int offset = 0;
                while (offset + n < wLen)
                {
                    offset++;
                    sink.Term(w[offsets[offset]..offsets[offset + n]]);
                }
                if (offset == 0) break;
            }
        }
    }

    /// <summary>Receives term occurrences.</summary>
    public interface ITermSink
    {
        /// <summary>One occurrence of the term spelled by <paramref name="term"/> (valid only during the call).</summary>
        void Term(ReadOnlySpan<char> term);
    }

    /// <summary>Receives term occurrences as packed keys (<see cref="TfidfVectorizer.Pack"/>).</summary>
    public interface IPackedTermSink
    {
        /// <summary>One occurrence of the term whose packed key is <paramref name="key"/>.</summary>
        void Term(ulong key);
    }

    /// <summary>Reusable per-thread buffers.</summary>
    public sealed class Scratch
    {
        public readonly List<(int Start, int Length)> Tokens = new(64);
        public readonly List<int> Offsets = new(256);
        public char[] Buffer = new char[256];
    }
}
