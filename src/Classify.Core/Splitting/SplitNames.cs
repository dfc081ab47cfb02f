namespace Classify.Core.Splitting;

/// <summary>The three split names used in files, metrics and the ledger, and the aliases accepted in data.</summary>
public static class SplitNames
{
    /// <summary>The training split.</summary>
    public const string Train = "train";
    /// <summary>The validation split (model selection, early stopping, threshold tuning).</summary>
    public const string Val = "val";
    /// <summary>The held-out test split.</summary>
    public const string Test = "test";

    /// <summary>The names in split order.</summary>
    public static IReadOnlyList<string> All { get; } = [Train, Val, Test];

    /// <summary>
    /// Maps a split value found in data to its name: <c>train</c>; <c>val</c>, <c>valid</c>, <c>validation</c> or
    /// <c>dev</c>; <c>test</c> (case-insensitive, surrounding spaces ignored). Returns null for anything else.
    /// </summary>
    public static string? Normalize(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "train" or "training" => Train,
        "val" or "valid" or "validation" or "dev" => Val,
        "test" => Test,
        _ => null,
    };
}
