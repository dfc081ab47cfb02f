namespace Classify.HuggingFace.Tokenization;

/// <summary>A growable list of token ids with their [start, end) character offsets, reused across calls.</summary>
internal sealed class TokenBuffer
{
    public int[] Ids = new int[64];
    public int[] Starts = new int[64];
    public int[] Ends = new int[64];
    public int Count;

    public void Clear() => Count = 0;

    public void Add(int id, int start, int end)
    {
        if (Count == Ids.Length)
        {
            Array.Resize(ref Ids, Count * 2);
            Array.Resize(ref Starts, Count * 2);
            Array.Resize(ref Ends, Count * 2);
        }
        Ids[Count] = id;
        Starts[Count] = start;
        Ends[Count] = end;
        Count++;
    }
}
