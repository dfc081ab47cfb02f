using System.Text.Json.Serialization;

namespace Classify.Core.Data;

/// <summary>
/// What loading a data file did: counts of rows read, used and dropped, and the file's SHA-256. Serialised as
/// the <c>data</c> object of run.json.
/// </summary>
public sealed record DatasetStats
{
    /// <summary>The data file path as given.</summary>
    [JsonPropertyName("path")] public required string Path { get; init; }

    /// <summary>Lower-case hex SHA-256 of the file's bytes.</summary>
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }

    /// <summary>Data rows in the file (header and blank lines excluded).</summary>
    [JsonPropertyName("rows_read")] public long RowsRead { get; init; }

    /// <summary>Rows that became examples.</summary>
    [JsonPropertyName("rows_used")] public long RowsUsed { get; init; }

    /// <summary>Rows dropped because the text was empty or whitespace.</summary>
    [JsonPropertyName("empty_dropped")] public long EmptyDropped { get; init; }

    /// <summary>Rows skipped because they do not meet <see cref="DatasetOptions.Filter"/>.</summary>
    [JsonPropertyName("filtered_out")] public long FilteredOut { get; init; }

    /// <summary>Single-label rows skipped because <see cref="DatasetOptions.LabelMap"/> dropped their label.</summary>
    [JsonPropertyName("label_dropped")] public long LabelDropped { get; init; }

    /// <summary>The <c>data.sample</c> asked for (a fraction or a count as written), or null for all the data.</summary>
    [JsonPropertyName("sample"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Sample { get; init; }

    /// <summary>Examples before <c>data.sample</c> took its slice (<see cref="RowsUsed"/> is the slice), or null.</summary>
    [JsonPropertyName("rows_before_sample"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? RowsBeforeSample { get; init; }

    /// <summary>Rows dropped because an earlier row had the same text and the same labels.</summary>
    [JsonPropertyName("duplicates_dropped")] public long DuplicatesDropped { get; init; }

    /// <summary>Distinct texts that occur with more than one label set (all such rows are kept).</summary>
    [JsonPropertyName("conflicting_duplicates")] public long ConflictingDuplicates { get; init; }

    /// <summary>Ids of up to five rows that repeat an earlier text with different labels.</summary>
    [JsonPropertyName("conflicting_duplicate_ids")] public IReadOnlyList<string> ConflictingDuplicateIds { get; init; } = [];

    /// <summary>Invalid UTF-8 sequences replaced by U+FFFD while reading.</summary>
    [JsonPropertyName("invalid_utf8_replaced")] public long InvalidUtf8Replaced { get; init; }

    /// <summary>Things about the data that are allowed but probably not meant (one line each; the experiment logs them).</summary>
    [JsonPropertyName("warnings")] public IReadOnlyList<string> Warnings { get; init; } = [];
}
