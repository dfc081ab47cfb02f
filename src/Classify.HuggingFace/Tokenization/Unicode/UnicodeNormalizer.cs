using System.Collections.Frozen;
using System.Text;

namespace Classify.HuggingFace.Tokenization.Unicode;

/// <summary>
/// Canonical Unicode normalization (NFC, NFD) with character alignment, from tables generated out of Python's
/// <c>unicodedata</c> 14.0 (the version the reference tokenizers ran with). .NET's <see cref="string.Normalize()"/> is
/// not used: under invariant globalization it leaves text unchanged, and it cannot report where output characters came from.
/// </summary>
internal static partial class UnicodeNormalizer
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly FrozenDictionary<int, int[]> Decompositions = BuildDecompositions();
    private static readonly FrozenDictionary<int, int> CombiningClasses = BuildPairs(CombiningClassData);
    private static readonly FrozenDictionary<long, int> Compositions = BuildCompositions();

    /// <summary>
    /// True when <paramref name="text"/> is unchanged by NFC and NFD for certain: every character is below U+00C0
    /// (no precomposed letters, no combining marks).
    /// </summary>
    public static bool IsTriviallyNormalized(ReadOnlySpan<char> text) => !text.ContainsAnyInRange('\u00C0', '\uFFFF');

    /// <summary>True when NFC leaves <paramref name="text"/> unchanged for certain (all characters below U+0300).</summary>
    public static bool IsTriviallyNfc(ReadOnlySpan<char> text) => !text.ContainsAnyInRange('\u0300', '\uFFFF');

    /// <summary>Canonical combining class of a code point (0 for starters).</summary>
    public static int CombiningClass(int codePoint) =>
        codePoint < 0x300 ? 0 : CombiningClasses.GetValueOrDefault(codePoint);

    /// <summary>
    /// Normalizes <paramref name="text"/> to NFC (<paramref name="compose"/> true) or NFD. For each output character,
    /// <paramref name="sourceStart"/>/<paramref name="sourceEnd"/> receive the span of input characters it came from;
    /// a composed character spans all the characters it absorbed.
    /// </summary>
    public static string Normalize(ReadOnlySpan<char> text, bool compose, List<int>? sourceStart = null, List<int>? sourceEnd = null)
    {
        // Decompose into code points that remember their source span.
        var cps = new List<(int Cp, int Start, int End)>(text.Length + 8);
        for (var i = 0; i < text.Length;)
        {
            var start = i;
            int cp;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                i += 2;
            }
            else cp = text[i++];
            Decompose(cp, start, i, cps);
        }
        ReorderCombiningMarks(cps);
        if (compose) Compose(cps);

        var sb = new StringBuilder(cps.Count + 4);
        foreach (var (cp, start, end) in cps)
        {
            var before = sb.Length;
            if (cp < 0x10000) sb.Append((char)cp);
            else sb.Append(char.ConvertFromUtf32(cp));
            for (var k = before; k < sb.Length; k++)
            {
                sourceStart?.Add(start);
                sourceEnd?.Add(end);
            }
        }
        return sb.ToString();
    }

    /// <summary>Appends the full canonical decomposition of one code point (NFD of a single character).</summary>
    public static void Decompose(int cp, int start, int end, List<(int Cp, int Start, int End)> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            var s = cp - SBase;
            output.Add((LBase + s / NCount, start, end));
            output.Add((VBase + s % NCount / TCount, start, end));
            if (s % TCount != 0) output.Add((TBase + s % TCount, start, end));
        }
        else if (cp >= 0xC0 && Decompositions.TryGetValue(cp, out var parts))
        {
            foreach (var p in parts) output.Add((p, start, end));
        }
        else output.Add((cp, start, end));
    }

    /// <summary>Writes the NFD form of one code point into <paramref name="destination"/>; returns the number of code points.</summary>
    public static int Decompose(int cp, Span<int> destination)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            var s = cp - SBase;
            destination[0] = LBase + s / NCount;
            destination[1] = VBase + s % NCount / TCount;
            if (s % TCount == 0) return 2;
            destination[2] = TBase + s % TCount;
            return 3;
        }
        if (cp >= 0xC0 && Decompositions.TryGetValue(cp, out var parts))
        {
            parts.CopyTo(destination);
            return parts.Length;
        }
        destination[0] = cp;
        return 1;
    }

    // Canonical ordering: a stable sort of every run of non-starters by combining class.
    private static void ReorderCombiningMarks(List<(int Cp, int Start, int End)> cps)
    {
        for (var i = 1; i < cps.Count; i++)
        {
            var cc = CombiningClass(cps[i].Cp);
            if (cc == 0) continue;
            var j = i;
            while (j > 0 && CombiningClass(cps[j - 1].Cp) > cc)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    // The canonical composition algorithm of UAX #15, with Hangul composed arithmetically.
    private static void Compose(List<(int Cp, int Start, int End)> cps)
    {
        if (cps.Count < 2) return;
        var starter = CombiningClass(cps[0].Cp) == 0 ? 0 : -1;
        var lastClass = starter == 0 ? 0 : 256;
        var write = 1;
        for (var read = 1; read < cps.Count; read++)
        {
            var cur = cps[read];
            var cc = CombiningClass(cur.Cp);
            if (starter >= 0)
            {
                var s = cps[starter];
                if ((lastClass < cc || lastClass == 0) && TryCompose(s.Cp, cur.Cp, out var composite))
                {
                    cps[starter] = (composite, Math.Min(s.Start, cur.Start), Math.Max(s.End, cur.End));
                    continue;
                }
            }
            if (cc == 0)
            {
                starter = write;
                lastClass = 0;
            }
            else lastClass = cc;
            cps[write++] = cur;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        if (first is >= LBase and < LBase + LCount && second is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
            return true;
        }
        if (first is >= SBase and < SBase + SCount && (first - SBase) % TCount == 0 && second is > TBase and < TBase + TCount)
        {
            composite = first + (second - TBase);
            return true;
        }
        return Compositions.TryGetValue(((long)first << 32) | (uint)second, out composite);
    }

    private static FrozenDictionary<int, int[]> BuildDecompositions()
    {
        var map = new Dictionary<int, int[]>();
        for (var i = 0; i < DecompositionData.Length;)
        {
            var cp = DecompositionData[i];
            var length = DecompositionData[i + 1];
            map[cp] = DecompositionData.AsSpan(i + 2, length).ToArray();
            i += 2 + length;
        }
        return map.ToFrozenDictionary();
    }

    private static FrozenDictionary<int, int> BuildPairs(int[] data)
    {
        var map = new Dictionary<int, int>();
        for (var i = 0; i < data.Length; i += 2) map[data[i]] = data[i + 1];
        return map.ToFrozenDictionary();
    }

    private static FrozenDictionary<long, int> BuildCompositions()
    {
        var map = new Dictionary<long, int>();
        for (var i = 0; i < CompositionData.Length; i += 3)
            map[((long)CompositionData[i] << 32) | (uint)CompositionData[i + 1]] = CompositionData[i + 2];
        return map.ToFrozenDictionary();
    }
}
