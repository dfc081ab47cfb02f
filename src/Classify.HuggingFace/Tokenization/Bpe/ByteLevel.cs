using System.Globalization;
using Classify.HuggingFace.Tokenization.Unicode;

namespace Classify.HuggingFace.Tokenization.Bpe;

/// <summary>
/// GPT-2's byte-level scheme: every byte has a printable stand-in character (<c>bytes_to_unicode</c>, so the space
/// byte is <c>Ġ</c>), and text is first cut by the pattern
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>, implemented here by hand
/// (no regex engine, no allocation).
/// </summary>
internal static class ByteLevel
{
    /// <summary>The stand-in character of each byte.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>The byte of each stand-in character, or -1.</summary>
    public static readonly short[] CharToByte = BuildCharToByte();

    private const byte Letter = 0, Number = 1, Space = 2, Other = 3;
    private static readonly byte[] AsciiClass = BuildAsciiClass();

    /// <summary>The end of the pre-token that starts at <paramref name="i"/> (GPT-2 pattern, leftmost alternative first).</summary>
    public static int NextPreTokenEnd(ReadOnlySpan<char> s, int i)
    {
        var n = s.Length;
        var c = s[i];
        if (c == '\'' && i + 1 < n)
        {
            var d = s[i + 1];
            if (d is 's' or 't' or 'm' or 'd') return i + 2;
            if (i + 2 < n && ((d == 'r' && s[i + 2] == 'e') || (d == 'v' && s[i + 2] == 'e') || (d == 'l' && s[i + 2] == 'l')))
                return i + 3;
        }

        var cls = ClassAt(s, i, out var length);
        var j = i;
        if (c == ' ' && i + 1 < n)
        {
            var next = ClassAt(s, i + 1, out var nextLength);
            if (next != Space)
            {
                cls = next;
                j = i + 1;
                length = nextLength;
            }
        }
        if (cls != Space)
        {
            // ` ?\p{L}+`, ` ?\p{N}+` or ` ?[^\s\p{L}\p{N}]+`: a run of one class.
            j += length;
            while (j < n && ClassAt(s, j, out length) == cls) j += length;
            return j;
        }

        // `\s+(?!\S)|\s+`: a whitespace run, leaving its last character to the next token when a non-space follows.
        j = i + length;
        while (j < n && ClassAt(s, j, out length) == Space) j += length;
        if (j == n || j - i == 1) return j;
        return j - 1 > i && char.IsLowSurrogate(s[j - 1]) ? j - 2 : j - 1;
    }

    private static byte ClassAt(ReadOnlySpan<char> s, int i, out int length)
    {
        var c = s[i];
        if (c < 0x80)
        {
            length = 1;
            return AsciiClass[c];
        }
        var cp = CharClass.CodePointAt(s, i, out length);
        if (CharClass.IsWhiteSpace(cp)) return Space;
        return CharClass.Category(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            _ => Other,
        };
    }

    private static byte[] BuildAsciiClass()
    {
        var table = new byte[128];
        for (var c = 0; c < 128; c++)
            table[c] = CharClass.IsWhiteSpace(c) ? Space : char.IsAsciiLetter((char)c) ? Letter : char.IsAsciiDigit((char)c) ? Number : Other;
        return table;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[512];
        map.AsSpan().Fill(-1);
        for (var b = 0; b < 256; b++) map[ByteToChar[b]] = (short)b;
        return map;
    }

    /// <summary>
    /// Appends the bytes a byte-level token stands for; a token with any character outside the byte alphabet (an added
    /// token such as a run of spaces) contributes its own UTF-8, as the Rust ByteLevel decoder does.
    /// </summary>
    public static void AppendTokenBytes(string token, List<byte> bytes)
    {
        foreach (var c in token)
        {
            if (c >= CharToByte.Length || CharToByte[c] < 0)
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(token));
                return;
            }
        }
        foreach (var c in token) bytes.Add((byte)CharToByte[c]);
    }
}
