namespace Classify.HuggingFace.Tokenization;

/// <summary>A growable list of values with the [start, end) character span of each, reused across calls.</summary>
internal abstract class OffsetBuffer<T>
{
    public T[] Values;
    public int[] Starts;
    public int[] Ends;
    public int Count;

    protected OffsetBuffer(int capacity)
    {
        Values = new T[capacity];
        Starts = new int[capacity];
        Ends = new int[capacity];
    }

    public void Clear() => Count = 0;

    public void Add(T value, int start, int end)
    {
        if (Count == Values.Length)
        {
            Array.Resize(ref Values, Count * 2);
            Array.Resize(ref Starts, Count * 2);
            Array.Resize(ref Ends, Count * 2);
        }
        Values[Count] = value;
        Starts[Count] = start;
        Ends[Count] = end;
        Count++;
    }
}

/// <summary>Token ids with their [start, end) character offsets.</summary>
internal sealed class TokenBuffer() : OffsetBuffer<int>(64)
{
    public int[] Ids => Values;
}
