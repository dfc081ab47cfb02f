using Classify.Core.Data;

namespace Classify.Core.Splitting;

/// <summary>How a <see cref="DatasetSplit"/> was made.</summary>
public enum SplitStrategy
{
    /// <summary>Stratified by label (single-label data).</summary>
    Stratified,
    /// <summary>Iterative stratification (multi-label data).</summary>
    IterativeStratified,
    /// <summary>Whole groups assigned to splits, balancing sizes and labels.</summary>
    Grouped,
    /// <summary>Taken from the split column of the data (missing validation/test parts carved out of train).</summary>
    Predefined,
    /// <summary>Read from saved id files (<see cref="SplitIds"/>).</summary>
    Saved,
}

/// <summary>A dataset partitioned into train, validation and test examples.</summary>
public sealed class DatasetSplit
{
    /// <summary>Creates a split.</summary>
    public DatasetSplit(IReadOnlyList<Example> train, IReadOnlyList<Example> val, IReadOnlyList<Example> test,
        SplitStrategy strategy, IReadOnlyList<Example>? unassigned = null)
    {
        Train = train ?? throw new ArgumentNullException(nameof(train));
        Val = val ?? throw new ArgumentNullException(nameof(val));
        Test = test ?? throw new ArgumentNullException(nameof(test));
        Strategy = strategy;
        Unassigned = unassigned ?? [];
    }

    /// <summary>Training examples.</summary>
    public IReadOnlyList<Example> Train { get; }
    /// <summary>Validation examples.</summary>
    public IReadOnlyList<Example> Val { get; }
    /// <summary>Test examples.</summary>
    public IReadOnlyList<Example> Test { get; }
    /// <summary>How the split was made.</summary>
    public SplitStrategy Strategy { get; }

    /// <summary>
    /// Examples of the data that no saved id file lists (only for <see cref="SplitStrategy.Saved"/>); they are in no split.
    /// Callers should report them: the data changed since the split was saved.
    /// </summary>
    public IReadOnlyList<Example> Unassigned { get; }

    /// <summary>The examples of a split by name (<c>train</c>, <c>val</c>, <c>test</c>).</summary>
    public IReadOnlyList<Example> this[string split] => SplitNames.Normalize(split) switch
    {
        SplitNames.Train => Train,
        SplitNames.Val => Val,
        SplitNames.Test => Test,
        _ => throw new ArgumentException($"Unknown split '{split}': expected train, val or test.", nameof(split)),
    };

    /// <summary>The ids of each split, to persist with <see cref="SplitIds.Save"/>.</summary>
    public SplitIds ToIds() => new(Train.Select(e => e.Id).ToArray(), Val.Select(e => e.Id).ToArray(), Test.Select(e => e.Id).ToArray());

    /// <summary>Per-split, per-label counts and percentages.</summary>
    public SplitSummary Summarize(Labels.LabelSchema schema) => SplitSummary.Create(this, schema);
}
