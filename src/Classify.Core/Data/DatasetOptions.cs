using Classify.Core.Data.Rules;
using Classify.Core.IO;

namespace Classify.Core.Data;

/// <summary>
/// Which columns of a data file hold what, and how to read labels. A property the config sets names its key (in the
/// <c>data:</c> section unless the key is dotted), and error messages use that key; the others are set from code only.
/// </summary>
public sealed record DatasetOptions
{
    /// <summary>Column holding the text (<c>text_col</c>, default <c>text</c>).</summary>
    public string TextColumn { get; init; } = "text";

    /// <summary>Column holding the label(s) (<c>label_col</c>, default <c>label</c>). Ignored when <see cref="LabelColumns"/> is set.</summary>
    public string LabelColumn { get; init; } = "label";

    /// <summary>
    /// One 0/1 column per label (<c>label_cols</c>); the column names become the label names, in this order,
    /// and the task is multi-label.
    /// </summary>
    public IReadOnlyList<string>? LabelColumns { get; init; }

    /// <summary>Column holding a unique row id (<c>id_col</c>); without it the id is the 1-based data row number.</summary>
    public string? IdColumn { get; init; }

    /// <summary>
    /// Columns whose values, joined with <c>/</c>, make the row id (<c>id_cols</c>), for data whose ids repeat per group
    /// (AnnoMI: <c>[transcript_id, utterance_id]</c> gives <c>0/12</c>). Instead of <see cref="IdColumn"/>.
    /// </summary>
    public IReadOnlyList<string>? IdColumns { get; init; }

    /// <summary>Rows to keep (<c>filter</c>): rows that do not meet the condition are skipped and counted (see <see cref="RowCondition"/>).</summary>
    public RowCondition? Filter { get; init; }

    /// <summary>A label computed from other columns (<c>derive_label</c>) instead of read from <see cref="LabelColumn"/>.</summary>
    public DerivedLabel? DeriveLabel { get; init; }

    /// <summary>
    /// Renames, merges and drops labels (<c>label_map</c>): each label found as a key becomes its value (several keys
    /// with one value merge them); a null value drops the label — a single-label row with it is skipped and counted, a
    /// multi-label row loses it. Labels not listed keep their name. With a map (or <see cref="DeriveLabel"/>),
    /// <see cref="Labels"/> fixes the labels after mapping.
    /// </summary>
    public IReadOnlyDictionary<string, string?>? LabelMap { get; init; }

    /// <summary>Column whose value groups rows that must stay in the same split, e.g. a conversation (<c>group_col</c>).</summary>
    public string? GroupColumn { get; init; }

    /// <summary>Column holding a predefined split: <c>train</c>, <c>val</c> (or <c>dev</c>/<c>validation</c>) or <c>test</c> (<c>split_col</c>).</summary>
    public string? SplitColumn { get; init; }

    /// <summary>Column ordering rows within a group, numeric when it parses as a number (<c>order_col</c>); used for context.</summary>
    public string? OrderColumn { get; init; }

    /// <summary>Column naming who speaks (<c>speaker_col</c>); context turns are then written <c>speaker: text</c>.</summary>
    public string? SpeakerColumn { get; init; }

    /// <summary>Number of preceding turns of the same group attached as <see cref="Example.Context"/> (<c>context.turns</c>, default 0 = none).</summary>
    public int ContextTurns { get; init; }

    /// <summary>Write each context turn <c>speaker: text</c> when <see cref="SpeakerColumn"/> gives one (<c>context.speaker_tags</c>, default false).</summary>
    public bool ContextSpeakerTags { get; init; }

    /// <summary>
    /// Write the utterance itself <c>speaker: text</c> (<c>context.current_speaker</c>, default false), so the model sees who
    /// speaks; <see cref="Example.Text"/> then carries the prefix (cleaning, duplicates and predictions files see it too).
    /// </summary>
    public bool CurrentSpeaker { get; init; }

    /// <summary>File format (<c>format</c>); null = from the extension.</summary>
    public DataFormat? Format { get; init; }

    /// <summary>Whether a CSV/TSV file starts with a header row (<c>has_header</c>, default true).</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>Column names for a headerless file; without them columns are named <c>0</c>, <c>1</c>, ...</summary>
    public IReadOnlyList<string>? ColumnNames { get; init; }

    /// <summary>Field separator override; null = <c>,</c> for CSV, tab for TSV.</summary>
    public char? Separator { get; init; }

    /// <summary>Separator between labels in a multi-label cell (<c>label_delimiter</c>, default <c>,</c>; <c>|</c> and <c>;</c> are common).</summary>
    public string LabelDelimiter { get; init; } = ",";

    /// <summary>
    /// A text file with one label name per line (<c>labels_file</c>), fixing the label set and order;
    /// integer labels in the data are 0-based indices into it (as in GoEmotions' <c>emotions.txt</c>).
    /// A relative path is resolved against the data file's folder first.
    /// </summary>
    public string? LabelNamesFile { get; init; }

    /// <summary>True when a row may carry any number of labels (<c>multilabel</c>).</summary>
    public bool Multilabel { get; init; }

    /// <summary>
    /// A fixed label set and order (<c>labels</c>); a label outside it is an error, and integer labels index into it.
    /// Without it (and without a names file) labels are the distinct values seen, sorted (numerically if all are integers).
    /// </summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>
    /// Drop rows whose text and labels repeat an earlier row (default true). Texts are compared
    /// after trimming and collapsing whitespace, and only within the same split and conversation context.
    /// </summary>
    public bool DropDuplicates { get; init; } = true;

    /// <summary>True when rows may carry several labels: <see cref="Multilabel"/> or <see cref="LabelColumns"/>.</summary>
    public bool IsMultilabel => Multilabel || LabelColumns is { Count: > 0 };

    /// <summary>The reading options these dataset options imply.</summary>
    public RecordReaderOptions ToReaderOptions() => new()
    {
        Format = Format,
        HasHeader = HasHeader,
        ColumnNames = ColumnNames,
        Separator = Separator,
    };

    /// <summary>Checks option combinations that cannot work.</summary>
    /// <exception cref="InputException">A conflicting or empty setting.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TextColumn)) throw new InputException("text_col must name a column", field: "text_col");
        if (LabelColumns is { Count: 0 }) throw new InputException("label_cols is empty", field: "label_cols");
        if (LabelColumns is { } cols && cols.Distinct(StringComparer.Ordinal).Count() != cols.Count)
            throw new InputException("label_cols lists a column twice", field: "label_cols");
        if (LabelColumns != null && (Labels != null || LabelNamesFile != null))
            throw new InputException("label_cols names the labels itself; do not also set labels or labels_file", field: "label_cols");
        if (Labels != null && LabelNamesFile != null)
            throw new InputException("set either labels or labels_file, not both", field: "labels");
        if (Labels is { Count: 0 }) throw new InputException("labels is empty", field: "labels");
        if (string.IsNullOrEmpty(LabelDelimiter)) throw new InputException("label_delimiter must not be empty", field: "label_delimiter");
        if (ContextTurns < 0) throw new InputException("context.turns must be 0 or more", field: "context.turns");
        if (IdColumns is { Count: 0 }) throw new InputException("id_cols is empty", field: "id_cols");
        if (IdColumns != null && IdColumn != null) throw new InputException("set either id_col or id_cols, not both", field: "id_cols");
        if (DeriveLabel != null && (LabelColumns != null || Multilabel))
            throw new InputException("derive_label gives each row one label: it cannot be combined with label_cols or multilabel", field: "derive_label");
        if (LabelMap != null && LabelColumns != null)
            throw new InputException("label_map renames the labels of label_col; with label_cols rename or drop the columns instead", field: "label_map");
        if (LabelMap?.Keys.FirstOrDefault(string.IsNullOrWhiteSpace) is not null || LabelMap?.Values.Any(v => v is not null && string.IsNullOrWhiteSpace(v)) == true)
            throw new InputException("label_map maps non-empty labels to non-empty labels (or to null, to drop one)", field: "label_map");
        if (CurrentSpeaker && SpeakerColumn is null)
            throw new InputException("context.current_speaker needs data.speaker_col (the column saying who speaks)", field: "context.current_speaker");
        if (ContextSpeakerTags && ContextTurns > 0 && SpeakerColumn is null)
            throw new InputException("context.speaker_tags needs data.speaker_col (the column saying who speaks)", field: "context.speaker_tags");
        // Not a config key: the field names the property.
        if (Separator is '"' or '\r' or '\n') throw new InputException("the separator cannot be a quote or a line break", field: nameof(Separator));
    }
}
