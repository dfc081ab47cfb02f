using System.Collections.Frozen;
using System.Text;

namespace Classify.Core.Cleaning;

/// <summary>
/// Decodes HTML character references exactly as Python's <c>html.unescape</c> does: all 2231 HTML5 named
/// references (legacy names such as <c>&amp;amp</c> also without ';', and the longest-known-prefix rule for
/// unknown names), decimal and hexadecimal references, and the HTML5 replacements for invalid code points.
/// </summary>
internal static partial class HtmlUnescaper
{
    private const int MaxNameLength = 32; // Python's pattern: [^\t\n\f <&#;]{1,32};?

    private static readonly FrozenDictionary<string, string> Named = BuildNamed();
    private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> NamedLookup =
        Named.GetAlternateLookup<ReadOnlySpan<char>>();

    // Windows-1252 replacements the HTML5 spec mandates for references to C1 controls (and 0, CR).
    private static readonly FrozenDictionary<int, string> InvalidCharReferences = new Dictionary<int, string>
    {
        [0x00] = "\uFFFD", [0x0D] = "\r", [0x80] = "\u20AC", [0x81] = "\u0081", [0x82] = "\u201A", [0x83] = "\u0192",
        [0x84] = "\u201E", [0x85] = "\u2026", [0x86] = "\u2020", [0x87] = "\u2021", [0x88] = "\u02C6", [0x89] = "\u2030",
        [0x8A] = "\u0160", [0x8B] = "\u2039", [0x8C] = "\u0152", [0x8D] = "\u008D", [0x8E] = "\u017D", [0x8F] = "\u008F",
        [0x90] = "\u0090", [0x91] = "\u2018", [0x92] = "\u2019", [0x93] = "\u201C", [0x94] = "\u201D", [0x95] = "\u2022",
        [0x96] = "\u2013", [0x97] = "\u2014", [0x98] = "\u02DC", [0x99] = "\u2122", [0x9A] = "\u0161", [0x9B] = "\u203A",
        [0x9C] = "\u0153", [0x9D] = "\u009D", [0x9E] = "\u017E", [0x9F] = "\u0178",
    }.ToFrozenDictionary();

    /// <summary>Returns <paramref name="text"/> with every character reference decoded.</summary>
    public static string Unescape(string text)
    {
        int amp = text.IndexOf('&');
        if (amp < 0) return text;
        var sb = new StringBuilder(text.Length);
        int copied = 0;
        while (amp >= 0)
        {
            int end = TryDecode(text, amp, sb, copied);
            if (end > 0) copied = end;
            amp = text.IndexOf('&', end > 0 ? end : amp + 1);
        }
        sb.Append(text, copied, text.Length - copied);
        return sb.ToString();
    }

    /// <summary>
    /// Decodes the reference starting at <paramref name="amp"/> if there is one: appends the text before it
    /// (from <paramref name="copied"/>) and its replacement, and returns the index just after it; else 0.
    /// </summary>
    private static int TryDecode(string text, int amp, StringBuilder sb, int copied)
    {
        int i = amp + 1;
        if (i >= text.Length) return 0;
        if (text[i] == '#')
        {
            bool hex = i + 1 < text.Length && (text[i + 1] == 'x' || text[i + 1] == 'X');
            int start = hex ? i + 2 : i + 1, j = start;
            long value = 0;
            while (j < text.Length && (hex ? char.IsAsciiHexDigit(text[j]) : char.IsAsciiDigit(text[j])))
            {
                // Saturate: anything beyond U+10FFFF decodes to U+FFFD whatever its size.
                int digit = text[j] <= '9' ? text[j] - '0' : (text[j] | 0x20) - 'a' + 10;
                value = Math.Min(value * (hex ? 16 : 10) + digit, 0x7FFFFFFF);
                j++;
            }
            if (j == start) return 0;
            if (j < text.Length && text[j] == ';') j++;
            sb.Append(text, copied, amp - copied);
            AppendCodePoint(sb, (int)value);
            return j;
        }

        // Named: up to 32 characters that are not \t \n \f space < & # ;, then an optional ';'.
        int k = i;
        while (k < text.Length && k - i < MaxNameLength && text[k] is not ('\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';')) k++;
        if (k == i) return 0;
        int nameEnd = k < text.Length && text[k] == ';' ? k + 1 : k;
        var name = text.AsSpan(i, nameEnd - i);
        if (NamedLookup.TryGetValue(name, out var replacement))
        {
            sb.Append(text, copied, amp - copied).Append(replacement);
            return nameEnd;
        }
        // The longest known prefix wins and the rest of the name stays as text (&notit; → ¬it;).
        for (int x = name.Length - 1; x > 1; x--)
        {
            if (NamedLookup.TryGetValue(name[..x], out replacement))
            {
                sb.Append(text, copied, amp - copied).Append(replacement).Append(name[x..]);
                return nameEnd;
            }
        }
        return 0;
    }

    private static void AppendCodePoint(StringBuilder sb, int value)
    {
        if (InvalidCharReferences.TryGetValue(value, out var mapped)) { sb.Append(mapped); return; }
        if (value is >= 0xD800 and <= 0xDFFF or > 0x10FFFF) { sb.Append('\uFFFD'); return; }
        if (IsInvalidCodePoint(value)) return;
        sb.Append(char.ConvertFromUtf32(value));
    }

    // Python's html._invalid_codepoints: C0 controls but tab/LF/FF/CR, DEL and C1, noncharacters.
    private static bool IsInvalidCodePoint(int cp) =>
        cp is >= 0x1 and <= 0x8 or 0xB or >= 0xE and <= 0x1F or >= 0x7F and <= 0x9F or >= 0xFDD0 and <= 0xFDEF
        || (cp & 0xFFFE) == 0xFFFE;

    private static FrozenDictionary<string, string> BuildNamed()
    {
        var pairs = NamedReferencePairs();
        var d = new Dictionary<string, string>(pairs.Length / 2, StringComparer.Ordinal);
        for (int p = 0; p < pairs.Length; p += 2) d[pairs[p]] = pairs[p + 1];
        return d.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
