using System.Globalization;
using System.Text;

namespace Classify.Linear.FeatureExtraction;

/// <summary>
/// Python 3 string semantics that scikit-learn's text features rely on and .NET spells differently:
/// <c>\w</c> (letters, numbers and '_' — no combining marks), <c>str.isspace</c>, <c>str.lower</c>
/// (full case mapping: İ → i̇, word-final Σ → ς), <c>unicodedata.combining</c>, and <c>str</c> ordering by code point.
/// </summary>
internal static partial class PythonText
{
    /// <summary>Python's <c>re</c> <c>\w</c> for str patterns: <c>str.isalnum()</c> or '_', i.e. categories L* and N*, and '_'.</summary>
    public static bool IsWordCharacter(Rune r)
    {
        if (r.IsAscii)
        {
            int c = r.Value;
            return (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9 || c == '_';
        }
        var category = Rune.GetUnicodeCategory(r);
        return category <= UnicodeCategory.OtherNumber
            && category is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark);
    }

    /// <summary>Python's <c>str.isspace()</c> (also what <c>\s</c> and <c>str.split()</c> use): .NET's white space plus U+001C–U+001F.</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    /// <summary>Python's <c>str.lower()</c>.</summary>
    public static string Lower(string s)
    {
        var lowered = s.ToLowerInvariant();
        // The only unconditional full lowercase mapping (U+0130) and the Final_Sigma context need Python's rules.
        if (s.AsSpan().IndexOfAny('\u0130', '\u03A3') < 0) return lowered;
        var sb = new StringBuilder(s.Length + 4);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\u0130') sb.Append("i\u0307");
            else if (c == '\u03A3') sb.Append(IsFinalSigma(s, i) ? '\u03C2' : '\u03C3');
            else sb.Append(lowered[i]);
        }
        return sb.ToString();
    }

    // CPython's handle_capital_sigma: \p{cased} \p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased}).
    private static bool IsFinalSigma(string s, int i)
    {
        int j = i - 1;
        while (j >= 0 && IsCaseIgnorable(s[j])) j--;
        if (j < 0 || !IsCased(s[j])) return false;
        j = i + 1;
        while (j < s.Length && IsCaseIgnorable(s[j])) j++;
        return j == s.Length || !IsCased(s[j]);
    }

    private static bool IsCased(char c) =>
        CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(char c) =>
        c is '\'' or '.' or ':' or '^' or '`' or '\u00B7' or '\u0387' or '\u05F4' or '\u2018' or '\u2019' or '\u2024' or '\u2027'
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;

    /// <summary><c>unicodedata.combining(c) != 0</c>: the code point has a non-zero canonical combining class.</summary>
    public static bool IsCombining(int codePoint)
    {
        var ranges = CombiningRanges;
        int lo = 0, hi = ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (codePoint < ranges[2 * mid]) hi = mid - 1;
            else if (codePoint > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    /// <summary>scikit-learn's <c>strip_accents_unicode</c>: NFKD, then drop combining characters (ASCII text is returned as is).</summary>
    public static string StripAccentsUnicode(string s)
    {
        if (Ascii.IsValid(s)) return s;
        var normalized = DecomposeCompatibility(s);
        var sb = new StringBuilder(normalized.Length);
        foreach (var rune in normalized.EnumerateRunes())
            if (!IsCombining(rune.Value)) sb.Append(rune.ToString());
        return sb.ToString();
    }

    /// <summary>scikit-learn's <c>strip_accents_ascii</c>: NFKD, then drop every non-ASCII character.</summary>
    public static string StripAccentsAscii(string s)
    {
        if (Ascii.IsValid(s)) return s;
        var normalized = DecomposeCompatibility(s);
        var sb = new StringBuilder(normalized.Length);
        foreach (char c in normalized) if (c < 0x80) sb.Append(c);
        return sb.ToString();
    }

    /// <summary>
    /// NFKD without the final canonical reordering of combining marks, from Python's Unicode tables. .NET's own
    /// <c>string.Normalize</c> does nothing in invariant-globalization mode, which Classify runs in. Both accent
    /// strippers drop the combining marks (or all non-ASCII) afterwards, so their order never matters here.
    /// </summary>
    public static string DecomposeCompatibility(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        var keys = DecomposableCodePoints;
        var ends = DecompositionEnds;
        foreach (var rune in s.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp is >= HangulFirst and <= HangulLast)
            {
                // Unicode's arithmetic Hangul decomposition: leading consonant, vowel, optional trailing consonant.
                int index = cp - HangulFirst;
                sb.Append((char)(0x1100 + index / (21 * 28))).Append((char)(0x1161 + index % (21 * 28) / 28));
                if (index % 28 != 0) sb.Append((char)(0x11A7 + index % 28));
                continue;
            }
            int k = keys.BinarySearch(cp);
            if (k < 0) { sb.Append(rune.ToString()); continue; }
            int start = k == 0 ? 0 : ends[k - 1];
            sb.Append(DecompositionText, start, ends[k] - start);
        }
        return sb.ToString();
    }

    private const int HangulFirst = 0xAC00, HangulLast = 0xD7A3;

    /// <summary>Python's <c>str</c> order: by code point (ordinal UTF-16 order differs once surrogates meet U+E000–U+FFFF).</summary>
    public static readonly IComparer<string> CodePointComparer = Comparer<string>.Create(CompareCodePoints);

    /// <summary>Compares by code point, as Python compares <c>str</c>.</summary>
    public static int CompareCodePoints(string? a, string? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        int i = a.AsSpan().CommonPrefixLength(b);
        if (i == a.Length || i == b.Length) return a.Length - b.Length;
        int x = a[i], y = b[i];
        if (x >= 0xD800 && y >= 0xD800)
        {
            // Surrogates (D800–DFFF) encode code points above FFFF: move them above E000–FFFF.
            x = x >= 0xE000 ? x - 0x800 : x + 0x2000;
            y = y >= 0xE000 ? y - 0x800 : y + 0x2000;
        }
        return x - y;
    }
}
