using System.Globalization;

namespace Classify.Core.Data;

/// <summary>One utterance of a conversation, as <see cref="ContextBuilder"/> sees it.</summary>
/// <param name="Group">The conversation it belongs to (e.g. a transcript id).</param>
/// <param name="Order">Its position in the conversation; compared numerically when both sides parse as numbers.</param>
/// <param name="Text">What was said.</param>
/// <param name="Speaker">Who said it, or null.</param>
public readonly record struct ConversationTurn(string Group, string Order, string Text, string? Speaker = null);

/// <summary>
/// Gives each utterance the texts of the <see cref="Turns"/> turns before it in the same conversation, oldest first,
/// optionally tagged <c>speaker: text</c>. Rows sharing one order value (the same utterance annotated several
/// times) count as one turn, and none of them is context for another.
/// </summary>
public sealed class ContextBuilder
{
    private readonly Dictionary<string, StreamState> _streams = new(StringComparer.Ordinal);

    /// <summary>Creates a builder.</summary>
    /// <param name="turns">Number of preceding turns to attach (at least 1).</param>
    /// <param name="speakerTags">Prefix each context turn with its speaker when one is known.</param>
    public ContextBuilder(int turns, bool speakerTags = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(turns, 1);
        Turns = turns;
        SpeakerTags = speakerTags;
    }

    /// <summary>Number of preceding turns attached.</summary>
    public int Turns { get; }

    /// <summary>Whether context turns are written <c>speaker: text</c>.</summary>
    public bool SpeakerTags { get; }

    /// <summary>Compares order values: numerically when both parse as numbers (numbers first), else ordinally.</summary>
    public static IComparer<string> OrderComparer { get; } = Comparer<string>.Create(CompareOrder);

    /// <summary>
    /// The context of every turn, aligned with <paramref name="turns"/> (which may come in any order). Stateless:
    /// does not affect <see cref="Next"/>.
    /// </summary>
    public IReadOnlyList<string>[] Build(IReadOnlyList<ConversationTurn> turns)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var result = new IReadOnlyList<string>[turns.Count];
        var byGroup = Enumerable.Range(0, turns.Count).GroupBy(i => turns[i].Group, StringComparer.Ordinal);
        foreach (var group in byGroup)
        {
            // Stable sort keeps file order among equal order values.
            var ordered = group.OrderBy(i => turns[i].Order, OrderComparer).ToArray();
            var previous = new List<string>();   // one formatted text per distinct order value so far
            int start = 0;
            while (start < ordered.Length)
            {
                int end = start + 1;
                while (end < ordered.Length && CompareOrder(turns[ordered[end]].Order, turns[ordered[start]].Order) == 0) end++;
                var context = Tail(previous);
                for (int k = start; k < end; k++) result[ordered[k]] = context;
                previous.Add(Format(turns[ordered[start]]));
                start = end;
            }
        }
        return result;
    }

    /// <summary>
    /// Streaming form for inputs too large to hold: returns the context of <paramref name="turn"/> and remembers it.
    /// Turns must arrive in order within each conversation (conversations may interleave); memory grows with the
    /// number of conversations, not rows.
    /// </summary>
    /// <exception cref="InvalidOperationException">The turn's order value is lower than the previous one of its conversation.</exception>
    public IReadOnlyList<string> Next(ConversationTurn turn)
    {
        if (!_streams.TryGetValue(turn.Group, out var state))
        {
            state = new StreamState();
            _streams[turn.Group] = state;
        }
        if (state.LastOrder != null)
        {
            int cmp = CompareOrder(turn.Order, state.LastOrder);
            if (cmp < 0)
                throw new InvalidOperationException(
                    $"Turn order '{turn.Order}' comes after '{state.LastOrder}' in conversation '{turn.Group}'; sort the rows by group and order.");
            if (cmp == 0) return state.LastContext!;
            state.Window.Add(state.LastText!);
            if (state.Window.Count > Turns) state.Window.RemoveAt(0);
        }
        state.LastOrder = turn.Order;
        state.LastText = Format(turn);
        state.LastContext = state.Window.ToArray();
        return state.LastContext;
    }

    /// <summary>The context form of one turn: <c>speaker: text</c>, or the text alone.</summary>
    public string Format(ConversationTurn turn) =>
        SpeakerTags && !string.IsNullOrEmpty(turn.Speaker) ? $"{turn.Speaker}: {turn.Text}" : turn.Text;

    private IReadOnlyList<string> Tail(List<string> previous)
    {
        int n = Math.Min(Turns, previous.Count);
        return n == 0 ? [] : previous.GetRange(previous.Count - n, n).ToArray();
    }

    private static int CompareOrder(string? a, string? b)
    {
        bool na = double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x);
        bool nb = double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var y);
        if (na && nb) return x.CompareTo(y);
        if (na != nb) return na ? -1 : 1;
        return string.CompareOrdinal(a, b);
    }

    private sealed class StreamState
    {
        public readonly List<string> Window = new();
        public string? LastOrder;
        public string? LastText;
        public IReadOnlyList<string>? LastContext;
    }
}
