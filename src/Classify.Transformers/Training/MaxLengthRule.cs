namespace Classify.Transformers.Training;

/// <summary>
/// The <c>max_length</c> a transformer run gets when the config gives none: long enough for all but the longest 1 % of
/// the training inputs. The 99th percentile (nearest rank) of their token counts, special tokens included, rounded up
/// to a multiple of <see cref="Multiple"/>, at least <see cref="Minimum"/>, and at most the model's position limit and
/// <see cref="Ceiling"/> (attention cost grows with the square of the length; longer inputs are a choice to write down).
/// </summary>
public static class MaxLengthRule
{
    /// <summary>The percentile of the training inputs' token counts that must fit untruncated (99).</summary>
    public const double Percentile = 99;
    /// <summary>Lengths are rounded up to a multiple of 8 (tensor-friendly shapes).</summary>
    public const int Multiple = 8;
    /// <summary>The shortest default (16).</summary>
    public const int Minimum = 16;
    /// <summary>The longest default (512), whatever the model could embed.</summary>
    public const int Ceiling = 512;
    /// <summary>At most this many training inputs are tokenized to measure (evenly spaced over the split).</summary>
    public const int SampleSize = 5000;

    /// <summary>The default <c>max_length</c> for inputs of these token counts, for a model embedding <paramref name="positionLimit"/> positions.</summary>
    /// <param name="tokenCounts">Token counts of the training inputs (special tokens included); empty gives <see cref="Minimum"/>.</param>
    /// <param name="positionLimit">The longest input the model's position table covers.</param>
    public static int Choose(IReadOnlyList<int> tokenCounts, int positionLimit)
    {
        ArgumentNullException.ThrowIfNull(tokenCounts);
        ArgumentOutOfRangeException.ThrowIfLessThan(positionLimit, 1);
        int cap = Math.Min(Ceiling, positionLimit);
        if (tokenCounts.Count == 0) return Math.Min(Minimum, cap);
        var sorted = tokenCounts.Order().ToArray();
        int rank = (int)Math.Ceiling(Percentile / 100 * sorted.Length);          // nearest rank, 1-based
        int length = sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
        int rounded = (length + Multiple - 1) / Multiple * Multiple;
        return Math.Min(Math.Max(rounded, Minimum), cap);
    }

    /// <summary>The indices of at most <see cref="SampleSize"/> evenly spaced items out of <paramref name="count"/>.</summary>
    public static IEnumerable<int> SampleIndices(int count)
    {
        if (count <= SampleSize)
        {
            for (int i = 0; i < count; i++) yield return i;
            yield break;
        }
        for (int i = 0; i < SampleSize; i++) yield return (int)((long)i * count / SampleSize);
    }
}
