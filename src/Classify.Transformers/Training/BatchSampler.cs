using Classify.Core.Randomness;

namespace Classify.Transformers.Training;

/// <summary>
/// The order of training examples in each epoch, a pure function of (seed, epoch), so that a resumed run sees
/// exactly the batches the uninterrupted run would have seen. Either a random permutation cut into batches, or
/// HF's <c>LengthGroupedSampler</c>: the permutation is cut into megabatches of 50 batches, each sorted by length
/// (longest first), and the longest example overall is moved to the front so a too-large batch fails at once.
/// </summary>
internal sealed class BatchSampler
{
    /// <summary>Batches per megabatch in length grouping (HF's <c>mega_batch_mult</c> default).</summary>
    public const int MegaBatchMultiplier = 50;

    private readonly IReadOnlyList<int> _lengths;

    /// <summary>Creates a sampler over examples of the given token lengths.</summary>
    public BatchSampler(IReadOnlyList<int> lengths, int batchSize, bool groupByLength, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _lengths = lengths;
        BatchSize = batchSize;
        GroupByLength = groupByLength;
        Seed = seed;
    }

    /// <summary>Examples per batch (the last batch of an epoch may be smaller).</summary>
    public int BatchSize { get; }
    /// <summary>Whether batches are grouped by length.</summary>
    public bool GroupByLength { get; }
    /// <summary>The seed of the orders.</summary>
    public int Seed { get; }
    /// <summary>Batches per epoch (<c>len(dataloader)</c>, last batch kept).</summary>
    public int BatchesPerEpoch => (_lengths.Count + BatchSize - 1) / BatchSize;

    /// <summary>The example indices of every batch of <paramref name="epoch"/> (0-based).</summary>
    public IReadOnlyList<int[]> Batches(int epoch)
    {
        var random = SeededRandom.ForPurpose((ulong)(uint)Seed, $"train-order-epoch-{epoch}");
        var order = random.Permutation(_lengths.Count);
        if (GroupByLength) order = LengthGroupedIndices(order, _lengths, BatchSize);
        return order.Chunk(BatchSize).ToArray();
    }

    /// <summary>
    /// The forward passes of <paramref name="batch"/> under a budget of <paramref name="maxTokens"/> rows × padded
    /// length (null: the batch whole). Rows are taken longest first (stable: ties keep their batch order) and a
    /// micro-batch grows while its row count times its longest row stays within the budget; a row longer than the
    /// budget forms a micro-batch alone. Every row of the batch is in exactly one micro-batch, and the cut depends on
    /// the batch and the lengths alone, so it is as deterministic as the batch order.
    /// </summary>
    public static IReadOnlyList<int[]> Split(int[] batch, IReadOnlyList<int> lengths, int? maxTokens)
    {
        if (maxTokens is not int budget || batch.Length <= 1) return [batch];
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, 1, nameof(maxTokens));
        var longestFirst = batch.OrderByDescending(i => lengths[i]).ToArray();
        if ((long)longestFirst.Length * lengths[longestFirst[0]] <= budget) return [batch];
        var parts = new List<int[]>();
        int start = 0;
        while (start < longestFirst.Length)
        {
            // Rows are in descending length, so the first row of a micro-batch is its padded length.
            long longest = Math.Max(1, lengths[longestFirst[start]]);
            int count = (int)Math.Clamp(budget / longest, 1, longestFirst.Length - start);
            parts.Add(longestFirst[start..(start + count)]);
            start += count;
        }
        return parts;
    }

    /// <summary>HF's <c>get_length_grouped_indices</c> applied to a permutation.</summary>
    public static int[] LengthGroupedIndices(int[] permutation, IReadOnlyList<int> lengths, int batchSize)
    {
        int megaBatchSize = MegaBatchMultiplier * batchSize;
        // Stable sort: ties keep their random order.
        var megaBatches = permutation.Chunk(megaBatchSize).Select(m => m.OrderByDescending(i => lengths[i]).ToArray()).ToArray();
        // Every megabatch starts with its longest; move the overall longest to position 0.
        int best = 0;
        for (int m = 1; m < megaBatches.Length; m++)
            if (lengths[megaBatches[m][0]] > lengths[megaBatches[best][0]]) best = m;
        if (megaBatches.Length > 0) (megaBatches[0][0], megaBatches[best][0]) = (megaBatches[best][0], megaBatches[0][0]);
        return megaBatches.SelectMany(m => m).ToArray();
    }
}
