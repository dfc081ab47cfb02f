namespace Classify.Core.Data;

/// <summary>
/// One labelled (or unlabelled) text. <see cref="Labels"/> holds label indices into the
/// <see cref="Labels.LabelSchema"/>: exactly one for binary/multiclass, any number for multilabel,
/// and none for unlabelled input.
/// </summary>
/// <param name="Id">Stable identifier (from the id column, or the 1-based data row number when there is none).</param>
/// <param name="Text">The text to classify.</param>
/// <param name="Labels">Label indices, sorted ascending.</param>
/// <param name="Group">Optional group key (e.g. a transcript id) that must not be split across train/val/test.</param>
/// <param name="Split">Optional predefined split name (train, val or test) from a split column.</param>
/// <param name="Context">Optional preceding turns (oldest first) used as a second segment by transformer models.</param>
public sealed record Example(
    string Id,
    string Text,
    int[] Labels,
    string? Group = null,
    string? Split = null,
    IReadOnlyList<string>? Context = null)
{
    /// <summary>The single label index of a binary/multiclass example.</summary>
    public int Label => Labels.Length == 1 ? Labels[0]
        : throw new InvalidOperationException($"Example '{Id}' has {Labels.Length} labels, not exactly one.");
}
