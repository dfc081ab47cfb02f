using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Classify.HuggingFace.Tokenization.Unicode;

/// <summary>
/// Character predicates exactly as the reference tokenizers define them (Python's <c>str</c> methods, BERT's
/// <c>_is_punctuation</c>/<c>_is_control</c>, the regex classes <c>\s \p{L} \p{N}</c>). Categories come from .NET's tables.
/// </summary>
internal static class CharClass
{
    /// <summary>Unicode White_Space: what <c>\s</c> matches in the byte-level pattern and what Rust's lstrip/rstrip remove.</summary>
    public static bool IsWhiteSpace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200A
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary>Python's <c>str.isspace()</c>: White_Space plus the separators U+001C..U+001F.</summary>
    public static bool IsPythonSpace(int cp) => IsWhiteSpace(cp) || cp is >= 0x1C and <= 0x1F;

    /// <summary>BERT's <c>_is_whitespace</c>: space, tab, newline, carriage return and category Zs.</summary>
    public static bool IsBertWhitespace(int cp) =>
        cp is ' ' or '\t' or '\n' or '\r' || (cp >= 0x80 && Category(cp) == UnicodeCategory.SpaceSeparator);

    /// <summary>BERT's <c>_is_control</c>: any category C* except tab, newline and carriage return.</summary>
    public static bool IsBertControl(int cp)
    {
        if (cp is '\t' or '\n' or '\r') return false;
        if (cp < 0x20 || cp == 0x7F) return true;
        if (cp < 0x80) return false;
        return Category(cp) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>BERT's <c>_is_punctuation</c>: every non-alphanumeric printable ASCII character, plus categories P*.</summary>
    public static bool IsBertPunctuation(int cp)
    {
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        if (cp < 0x80) return false;
        return Category(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>BERT's <c>_is_chinese_char</c>: the CJK Unified Ideographs blocks (not kana or hangul).</summary>
    public static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>Category Mn (nonspacing mark), what BERT's accent stripping removes after NFD.</summary>
    public static bool IsNonSpacingMark(int cp) => cp >= 0x300 && Category(cp) == UnicodeCategory.NonSpacingMark;

    /// <summary>The general category of a code point.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static UnicodeCategory Category(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp);

    /// <summary>Reads the code point at <paramref name="i"/>; <paramref name="length"/> is 2 for a surrogate pair, else 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CodePointAt(ReadOnlySpan<char> s, int i, out int length)
    {
        var c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        length = 1;
        return c;
    }

    /// <summary>
    /// Python's per-character <c>str.lower()</c> (full case mapping): the simple mapping, except U+0130 which becomes
    /// "i" + U+0307. Returns the number of chars written to <paramref name="destination"/> (1 to 2).
    /// </summary>
    public static int ToLowerPython(int cp, Span<char> destination)
    {
        if (cp < 0x80)
        {
            destination[0] = (char)(cp is >= 'A' and <= 'Z' ? cp | 0x20 : cp);
            return 1;
        }
        if (cp == 0x130)
        {
            destination[0] = 'i';
            destination[1] = '\u0307';
            return 2;
        }
        if (!Rune.IsValid(cp))
        {
            destination[0] = (char)cp;
            return 1;
        }
        var lower = Rune.ToLowerInvariant(new Rune(cp));
        return lower.EncodeToUtf16(destination);
    }
}
