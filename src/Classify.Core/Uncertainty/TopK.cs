namespace Classify.Core.Uncertainty;

/// <summary>
/// The <c>k</c> best items of a stream in O(k) memory: a heap whose root is the worst item kept, replaced whenever a
/// better one arrives. <paramref name="compare"/> must be a total order (ties broken, for example by position), so the
/// result does not depend on the order in which equal items arrive.
/// </summary>
/// <param name="k">How many items to keep (at least 1).</param>
/// <param name="compare">Positive when the first item is better than the second.</param>
internal sealed class TopK<T>(int k, Comparison<T> compare)
{
    // A min-heap under "better": the root is the worst item kept.
    private readonly PriorityQueue<T, T> _heap = new(Math.Min(k, 1 << 16), Comparer<T>.Create(compare));
    private readonly int _k = k >= 1 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");

    /// <summary>Items kept (at most k).</summary>
    public int Count => _heap.Count;

    /// <summary>Keeps <paramref name="item"/> if it is among the k best so far; returns whether it was kept.</summary>
    public bool Offer(T item)
    {
        if (_heap.Count < _k)
        {
            _heap.Enqueue(item, item);
            return true;
        }
        if (compare(item, _heap.Peek()) <= 0) return false;
        _heap.DequeueEnqueue(item, item);
        return true;
    }

    /// <summary>The kept items, best first.</summary>
    public List<T> ToSortedList()
    {
        var items = _heap.UnorderedItems.Select(x => x.Element).ToList();
        items.Sort((a, b) => compare(b, a));
        return items;
    }
}
