namespace Classify.Core.Labels;

/// <summary>The kind of classification task: how many labels an example carries.</summary>
public enum TaskKind
{
    /// <summary>Exactly one of two labels per example.</summary>
    Binary,
    /// <summary>Exactly one of three or more labels per example.</summary>
    Multiclass,
    /// <summary>Any subset of the labels per example (zero, one or many).</summary>
    Multilabel,
}

/// <summary>Conversions between <see cref="TaskKind"/> and the strings used in files and on the command line.</summary>
public static class TaskKindNames
{
    /// <summary>The file/CLI name: <c>binary</c>, <c>multiclass</c> or <c>multilabel</c>.</summary>
    public static string ToName(this TaskKind kind) => kind switch
    {
        TaskKind.Binary => "binary",
        TaskKind.Multiclass => "multiclass",
        TaskKind.Multilabel => "multilabel",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parses a task name (case-insensitive; accepts <c>multi_label</c>, <c>multi-label</c> and the HF problem types).</summary>
    public static TaskKind Parse(string name) => name.Trim().ToLowerInvariant().Replace("-", "_") switch
    {
        "binary" => TaskKind.Binary,
        "multiclass" or "multi_class" or "single_label_classification" => TaskKind.Multiclass,
        "multilabel" or "multi_label" or "multi_label_classification" => TaskKind.Multilabel,
        _ => throw new FormatException($"Unknown task kind '{name}': expected binary, multiclass or multilabel."),
    };
}
