using System.Globalization;
using Classify.Core.IO;

namespace Classify.Core.Prediction;

/// <summary>
/// One of <see cref="Count"/> contiguous slices of an input file's rows, numbered from 0 (as Kubernetes numbers the pods
/// of an Indexed Job: <c>JOB_COMPLETION_INDEX</c>). With N rows, shard <c>i</c> holds rows
/// <c>[⌊i·N/n⌋, ⌊(i+1)·N/n⌋)</c>: every row is in exactly one shard, shard sizes differ by at most one, and the
/// shards' outputs concatenated in index order are the whole file's output (only shard 0 writes the CSV header).
/// </summary>
public readonly record struct FileShard
{
    /// <summary>The most shards a file can be cut into.</summary>
    public const int MaxCount = 100_000;

    /// <summary>Shard <paramref name="index"/> (0-based) of <paramref name="count"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">count is not in 1..<see cref="MaxCount"/>, or index is not in 0..count−1.</exception>
    public FileShard(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        Index = index;
        Count = count;
    }

    /// <summary>0-based shard number.</summary>
    public int Index { get; }
    /// <summary>Number of shards (at least 1).</summary>
    public int Count { get; }

    /// <summary>Whether this shard writes the CSV header (only the first does, so the parts concatenate to one file).</summary>
    public bool WritesHeader => Index == 0;

    /// <summary>The rows <c>[Start, End)</c> (0-based, in file order) of a file of <paramref name="rows"/> rows that this shard scores.</summary>
    public (long Start, long End) RangeOf(long rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        return (Boundary(rows, Index), Boundary(rows, Index + 1));
    }

    private long Boundary(long rows, int k) => (long)((Int128)rows * k / Count);

    /// <summary>
    /// Reads <c>i/n</c> (0 ≤ i &lt; n, both decimal integers, e.g. <c>0/4</c> … <c>3/4</c>).
    /// </summary>
    /// <exception cref="InputException">Anything else (reported against <paramref name="field"/>).</exception>
    public static FileShard Parse(string? text, string field = "--shard")
    {
        const string Expected = "expected i/n with 0 ≤ i < n (0-based, e.g. 0/4 … 3/4)";
        var value = text?.Trim() ?? "";
        int slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1 || value.IndexOf('/', slash + 1) >= 0
            || !TryInt(value[..slash], out int index) || !TryInt(value[(slash + 1)..], out int count))
            throw new InputException($"'{text}' is not a shard; {Expected}", field: field);
        if (count < 1) throw new InputException($"'{text}': the shard count must be at least 1; {Expected}", field: field);
        if (count > MaxCount) throw new InputException($"'{text}': at most {MaxCount:N0} shards", field: field);
        if (index >= count) throw new InputException($"'{text}': the shard index must be below the shard count; {Expected}", field: field);
        return new FileShard(index, count);
    }

    // Digits only: no sign, no spaces inside, no thousands separators.
    private static bool TryInt(string s, out int value)
    {
        value = 0;
        return s.Length is > 0 and <= 9 && s.All(char.IsAsciiDigit)
            && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary><c>i/n</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
