namespace Classify.Core.Data;

/// <summary>How to read the rows of a data file (see <see cref="RecordReader"/>).</summary>
public sealed record RecordReaderOptions
{
    /// <summary>The file format; null = from the extension (<c>.csv</c>, <c>.tsv</c>, <c>.jsonl</c>, <c>.ndjson</c>). Config key <c>format</c>.</summary>
    public DataFormat? Format { get; init; }

    /// <summary>
    /// Whether the first CSV/TSV row holds the column names (default true). Headerless files, such as GoEmotions'
    /// TSVs, address columns by <see cref="ColumnNames"/> or by 0-based index (<c>"0"</c>, <c>"1"</c>, ...).
    /// Ignored for JSON Lines. Config key <c>has_header</c>.
    /// </summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>Names for the columns of a headerless file, in order; the 0-based indices keep working.</summary>
    public IReadOnlyList<string>? ColumnNames { get; init; }

    /// <summary>The field separator; null = <c>,</c> for CSV and tab for TSV (pandas' <c>sep</c>).</summary>
    public char? Separator { get; init; }

    /// <summary>Whether <c>"</c> quotes fields (RFC 4180 rules) in CSV and TSV; default true.</summary>
    public bool Quoting { get; init; } = true;
}
