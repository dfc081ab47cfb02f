using Classify.HuggingFace.Tokenization.Unicode;

namespace Classify.HuggingFace.Tokenization.WordPiece;

/// <summary>
/// BERT's <c>BasicTokenizer</c> (transformers 4.48), preceded by the per-character lower-casing that
/// <c>PreTrainedTokenizer.tokenize</c> applies when <c>do_lower_case</c> is set. Steps: lower-case, drop NUL, U+FFFD
/// and control/format characters, turn whitespace into spaces, isolate CJK ideographs, NFC, split on whitespace,
/// strip accents (NFD, drop Mn), split off punctuation. Every output character keeps the source span it came from.
/// </summary>
internal sealed class BasicTokenizer(bool doLowerCase, bool? stripAccents, bool tokenizeChineseChars, IReadOnlySet<string> neverSplit)
{
    [ThreadStatic] private static CharBuffer? t_clean;
    [ThreadStatic] private static CharBuffer? t_word;

    private readonly bool _stripAccents = doLowerCase ? stripAccents != false : stripAccents == true;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? _neverSplit =
        neverSplit.Count == 0 ? null : new HashSet<string>(neverSplit, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    public bool DoLowerCase => doLowerCase;
    public bool? StripAccents => stripAccents;
    public bool TokenizeChineseChars => tokenizeChineseChars;

    /// <summary>Tokenizes <paramref name="text"/>[<paramref name="start"/>..<paramref name="end"/>) and hands every word to <paramref name="wordpiece"/>.</summary>
    public void Tokenize(string text, int start, int end, WordpieceTokenizer wordpiece, TokenBuffer output)
    {
        if (System.Text.Ascii.IsValid(text.AsSpan(start, end - start)))
        {
            TokenizeAscii(text, start, end, wordpiece, output);
            return;
        }
        var clean = t_clean ??= new CharBuffer();
        clean.Clear();
        Span<char> lowered = stackalloc char[2];
        for (var i = start; i < end;)
        {
            var cp = CharClass.CodePointAt(text, i, out var length);
            if (doLowerCase && cp is >= 'A' and <= 'Z' or >= 0x80)
            {
                var n = CharClass.ToLowerPython(cp, lowered);
                var j = 0;
                while (j < n)
                {
                    var lcp = CharClass.CodePointAt(lowered[..n], j, out var ll);
                    AppendCleaned(clean, lcp, i, i + length);
                    j += ll;
                }
            }
            else AppendCleaned(clean, cp, i, i + length);
            i += length;
        }
        if (!UnicodeNormalizer.IsTriviallyNfc(clean.Chars.AsSpan(0, clean.Count))) clean.NormalizeNfc();

        var chars = clean.Chars.AsSpan(0, clean.Count);
        for (var i = 0; i < chars.Length;)
        {
            var cp = CharClass.CodePointAt(chars, i, out var length);
            if (CharClass.IsPythonSpace(cp))
            {
                i += length;
                continue;
            }
            var wordStart = i;
            while (i < chars.Length)
            {
                cp = CharClass.CodePointAt(chars, i, out length);
                if (CharClass.IsPythonSpace(cp)) break;
                i += length;
            }
            SplitWord(clean, wordStart, i, wordpiece, output);
        }
    }

    private const byte AsciiSpace = 1, AsciiPunctuation = 2, AsciiDropped = 4;
    private static readonly byte[] AsciiFlags = BuildAsciiFlags();

    // The same steps for pure ASCII text, in one pass: no NFC, no accents, no CJK, one char per char.
    private void TokenizeAscii(string text, int start, int end, WordpieceTokenizer wordpiece, TokenBuffer output)
    {
        var word = t_word ??= new CharBuffer();
        for (var i = start; i < end;)
        {
            while (i < end && (AsciiFlags[text[i]] & AsciiSpace) != 0) i++;
            word.Clear();
            var hasPunctuation = false;
            for (; i < end; i++)
            {
                var c = text[i];
                var flags = AsciiFlags[c];
                if ((flags & AsciiSpace) != 0) break;
                if ((flags & AsciiDropped) != 0) continue;
                hasPunctuation |= (flags & AsciiPunctuation) != 0;
                word.Add(doLowerCase && c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c, i, i + 1);
            }
            if (word.Count == 0) continue;
            var chars = word.Chars.AsSpan(0, word.Count);
            if (!hasPunctuation || (_neverSplit is { } never && never.Contains(chars)))
            {
                wordpiece.TokenizeWord(chars, word.Starts.AsSpan(0, word.Count), word.Ends.AsSpan(0, word.Count), output);
                continue;
            }
            var pieceStart = 0;
            for (var k = 0; k <= chars.Length; k++)
            {
                if (k < chars.Length && (AsciiFlags[chars[k]] & AsciiPunctuation) == 0) continue;
                if (k > pieceStart)
                    wordpiece.TokenizeWord(chars[pieceStart..k], word.Starts.AsSpan(pieceStart, k - pieceStart), word.Ends.AsSpan(pieceStart, k - pieceStart), output);
                if (k < chars.Length) wordpiece.TokenizeWord(chars.Slice(k, 1), word.Starts.AsSpan(k, 1), word.Ends.AsSpan(k, 1), output);
                pieceStart = k + 1;
            }
        }
    }

    private static byte[] BuildAsciiFlags()
    {
        var flags = new byte[128];
        for (var c = 0; c < 128; c++)
        {
            if (CharClass.IsBertWhitespace(c)) flags[c] |= AsciiSpace;
            else if (c == 0 || CharClass.IsBertControl(c)) flags[c] |= AsciiDropped;
            if (CharClass.IsBertPunctuation(c)) flags[c] |= AsciiPunctuation;
        }
        return flags;
    }

    private void AppendCleaned(CharBuffer clean, int cp, int sourceStart, int sourceEnd)
    {
        if (cp is 0 or 0xFFFD || CharClass.IsBertControl(cp)) return;
        if (CharClass.IsBertWhitespace(cp)) clean.Add(' ', sourceStart, sourceEnd);
        else if (tokenizeChineseChars && cp >= 0x3400 && CharClass.IsCjkIdeograph(cp))
        {
            clean.Add(' ', sourceStart, sourceEnd);
            clean.AppendCodePoint(cp, sourceStart, sourceEnd);
            clean.Add(' ', sourceStart, sourceEnd);
        }
        else clean.AppendCodePoint(cp, sourceStart, sourceEnd);
    }

    // One whitespace-delimited word: never_split words go whole to WordPiece; others lose their accents and are cut at punctuation.
    private void SplitWord(CharBuffer clean, int start, int end, WordpieceTokenizer wordpiece, TokenBuffer output)
    {
        if (_neverSplit is { } never && never.Contains(clean.Chars.AsSpan(start, end - start)))
        {
            wordpiece.TokenizeWord(clean.Chars.AsSpan(start, end - start), clean.Starts.AsSpan(start, end - start),
                clean.Ends.AsSpan(start, end - start), output);
            return;
        }
        var word = t_word ??= new CharBuffer();
        word.Clear();
        Span<int> decomposed = stackalloc int[8];
        for (var i = start; i < end;)
        {
            var cp = CharClass.CodePointAt(clean.Chars.AsSpan(0, end), i, out var length);
            int s = clean.Starts[i], e = clean.Ends[i + length - 1];
            i += length;
            if (_stripAccents && cp >= 0xC0)
            {
                var n = UnicodeNormalizer.Decompose(cp, decomposed);
                for (var k = 0; k < n; k++)
                    if (!CharClass.IsNonSpacingMark(decomposed[k])) Emit(word, decomposed[k], s, e, wordpiece, output);
            }
            else Emit(word, cp, s, e, wordpiece, output);
        }
        Flush(word, wordpiece, output);
    }

    private static void Emit(CharBuffer word, int cp, int start, int end, WordpieceTokenizer wordpiece, TokenBuffer output)
    {
        if (CharClass.IsBertPunctuation(cp))
        {
            Flush(word, wordpiece, output);
            word.AppendCodePoint(cp, start, end);
            Flush(word, wordpiece, output);
        }
        else word.AppendCodePoint(cp, start, end);
    }

    private static void Flush(CharBuffer word, WordpieceTokenizer wordpiece, TokenBuffer output)
    {
        if (word.Count == 0) return;
        wordpiece.TokenizeWord(word.Chars.AsSpan(0, word.Count), word.Starts.AsSpan(0, word.Count), word.Ends.AsSpan(0, word.Count), output);
        word.Clear();
    }
}

/// <summary>Characters with the [start, end) source span of each, reused across calls.</summary>
internal sealed class CharBuffer() : OffsetBuffer<char>(256)
{
    public char[] Chars => Values;

    public void AppendCodePoint(int cp, int start, int end)
    {
        if (cp < 0x10000) Add((char)cp, start, end);
        else
        {
            var s = char.ConvertFromUtf32(cp);
            Add(s[0], start, end);
            Add(s[1], start, end);
        }
    }

    /// <summary>Replaces the content by its NFC form, carrying the source spans through.</summary>
    public void NormalizeNfc()
    {
        var starts = new List<int>(Count);
        var ends = new List<int>(Count);
        var normalized = UnicodeNormalizer.Normalize(Chars.AsSpan(0, Count), compose: true, starts, ends);
        var oldStarts = Starts.AsSpan(0, Count).ToArray();
        var oldEnds = Ends.AsSpan(0, Count).ToArray();
        Clear();
        for (var i = 0; i < normalized.Length; i++) Add(normalized[i], oldStarts[starts[i]], oldEnds[ends[i] - 1]);
    }
}
