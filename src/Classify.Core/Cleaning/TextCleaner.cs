using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Classify.Core.Cleaning;

/// <summary>
/// Cleans text with the steps switched on in <see cref="CleaningOptions"/>, always in this order:
/// <list type="number">
/// <item>HTML: decode character references as Python's <c>html.unescape</c>, then replace tags
///   (<c>&lt;b&gt;</c>, <c>&lt;/a&gt;</c>, <c>&lt;!-- --&gt;</c>; a '<c>&lt;</c>' not followed by a letter, as in <c>&lt;3</c>, is kept) by a space;</item>
/// <item>URLs: <c>http://</c>, <c>https://</c>, <c>ftp://</c> and <c>www.</c> up to the next whitespace are removed;</item>
/// <item>mentions: <c>@name</c> not preceded by a word character (so e-mail addresses stay) is removed;</item>
/// <item>hashtags: the '#' of <c>#word</c> is dropped, the word kept;</item>
/// <item>control and format characters (categories Cc and Cf: zero-width space and joiner, BOM, soft hyphen …) are
///   removed, whitespace controls (tab, newline …) become a space;</item>
/// <item>elongation: a letter or symbol repeated 3 or more times is cut to 2 (<c>soooo</c> → <c>soo</c>, <c>!!!!</c> → <c>!!</c>,
///   emoji included); digits are left alone so numbers such as 1000 keep their value;</item>
/// <item>lowercase (invariant culture, per character);</item>
/// <item>stop words and stemming, on words: the text is split on whitespace and each word's leading and trailing
///   non-alphanumeric characters are set aside (<c>"Loved!!"</c> → <c>"</c>, <c>Loved</c>, <c>!!"</c>); a core that
///   is in <see cref="EnglishStopWords"/> (compared lower-cased) is dropped, the rest is stemmed with
///   <see cref="PorterStemmer"/> (NLTK default mode, which lower-cases); the characters set aside stay;</item>
/// <item>whitespace: runs of whitespace become one space, and the ends are trimmed.</item>
/// </list>
/// Instances are immutable and thread-safe.
/// </summary>
public sealed partial class TextCleaner
{
    private readonly PorterStemmer _stemmer = PorterStemmer.Default;

    /// <summary>Creates a cleaner for the given steps.</summary>
    public TextCleaner(CleaningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The steps this cleaner applies.</summary>
    public CleaningOptions Options { get; }

    /// <summary>Cleans every text (in parallel for large batches); the result has the same order.</summary>
    public string[] Clean(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new string[texts.Count];
        if (!Options.Any)
        {
            for (int i = 0; i < result.Length; i++) result[i] = texts[i];
            return result;
        }
        if (texts.Count < 2048)
        {
            for (int i = 0; i < result.Length; i++) result[i] = Clean(texts[i]);
        }
        else
        {
            Parallel.For(0, texts.Count, i => result[i] = Clean(texts[i]));
        }
        return result;
    }

    /// <summary>Returns <paramref name="text"/> with the configured steps applied.</summary>
    public string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var o = Options;
        if (o.Html) text = StripTags(HtmlUnescaper.Unescape(text));
        if (o.Urls) text = UrlRegex().Replace(text, "");
        if (o.Mentions) text = MentionRegex().Replace(text, "");
        if (o.Hashtags) text = HashRegex().Replace(text, "");
        if (o.ControlCharacters) text = RemoveControlCharacters(text);
        if (o.Elongation) text = CapElongation(text);
        if (o.Lowercase) text = text.ToLowerInvariant();
        if (o.StopWords || o.Stem) text = ProcessWords(text, o.StopWords, o.Stem);
        if (o.Whitespace) text = CollapseWhitespace(text);
        return text;
    }

    private static string StripTags(string text) =>
        text.Contains('<') ? TagRegex().Replace(text, " ") : text;

    [GeneratedRegex(@"<!--.*?-->|</?[A-Za-z][^<>]*>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"(?:\b(?:https?|ftp)://|\bwww\.)\S*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlRegex();

    [GeneratedRegex(@"(?<![\w@])@\w+", RegexOptions.CultureInvariant)]
    private static partial Regex MentionRegex();

    [GeneratedRegex(@"(?<![\w#])#(?=\w)", RegexOptions.CultureInvariant)]
    private static partial Regex HashRegex();

    private static string RemoveControlCharacters(string text)
    {
        int first = 0;
        while (first < text.Length && !IsControlOrFormat(text[first])) first++;
        if (first == text.Length) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (!IsControlOrFormat(c)) sb.Append(c);
            else if (char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F') sb.Append(' ');
        }
        return sb.ToString();
    }

    private static bool IsControlOrFormat(char c) =>
        c < '\u0020' || (c >= '\u007F' && CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format);

    private static string CapElongation(string text)
    {
        var span = text.AsSpan();
        StringBuilder? sb = null;
        int copied = 0, i = 0;
        while (i < span.Length)
        {
            Rune.DecodeFromUtf16(span[i..], out var rune, out int width);
            int runEnd = i + width, count = 1;
            while (runEnd + width <= span.Length && span.Slice(runEnd, width).SequenceEqual(span.Slice(i, width)))
            {
                runEnd += width;
                count++;
            }
            if (count >= 3 && !Rune.IsDigit(rune))
            {
                sb ??= new StringBuilder(text.Length);
                sb.Append(span[copied..(i + 2 * width)]);
                copied = runEnd;
            }
            i = runEnd;
        }
        if (sb is null) return text;
        sb.Append(span[copied..]);
        return sb.ToString();
    }

    private string ProcessWords(string text, bool removeStopWords, bool stem)
    {
        var span = text.AsSpan();
        var sb = new StringBuilder(text.Length);
        Span<char> lowered = stackalloc char[64];
        Span<char> stemBuffer = stackalloc char[66];
        int i = 0;
        while (i < span.Length)
        {
            if (char.IsWhiteSpace(span[i])) { sb.Append(span[i++]); continue; }
            int end = i;
            while (end < span.Length && !char.IsWhiteSpace(span[end])) end++;
            var word = span[i..end];
            i = end;

            int coreStart = 0, coreEnd = word.Length;
            while (coreStart < coreEnd && !IsAlphanumericAt(word, coreStart, out int w)) coreStart += w;
            while (coreEnd > coreStart && !IsAlphanumericBefore(word, coreEnd, out int w)) coreEnd -= w;
            var core = word[coreStart..coreEnd];
            if (core.IsEmpty) { sb.Append(word); continue; }

            sb.Append(word[..coreStart]);
            if (removeStopWords && core.Length <= lowered.Length)
            {
                int n = core.ToLowerInvariant(lowered);
                if (EnglishStopWords.Contains(lowered[..n])) { sb.Append(word[coreEnd..]); continue; }
            }
            if (stem)
            {
                if (core.Length + 2 <= stemBuffer.Length) sb.Append(stemBuffer[.._stemmer.Stem(core, stemBuffer)]);
                else sb.Append(_stemmer.Stem(core.ToString()));
            }
            else
            {
                sb.Append(core);
            }
            sb.Append(word[coreEnd..]);
        }
        return sb.ToString();
    }

    private static bool IsAlphanumericAt(ReadOnlySpan<char> s, int index, out int width)
    {
        Rune.DecodeFromUtf16(s[index..], out var rune, out width);
        return Rune.IsLetterOrDigit(rune);
    }

    private static bool IsAlphanumericBefore(ReadOnlySpan<char> s, int end, out int width)
    {
        Rune.DecodeLastFromUtf16(s[..end], out var rune, out width);
        return Rune.IsLetterOrDigit(rune);
    }

    private static string CollapseWhitespace(string text)
    {
        var span = text.AsSpan().Trim();
        var sb = new StringBuilder(span.Length);
        bool inSpace = false;
        foreach (char c in span)
        {
            if (char.IsWhiteSpace(c))
            {
                if (!inSpace) sb.Append(' ');
                inSpace = true;
            }
            else
            {
                sb.Append(c);
                inSpace = false;
            }
        }
        return sb.Length == text.Length ? (sb.Equals(text) ? text : sb.ToString()) : sb.ToString();
    }
}
