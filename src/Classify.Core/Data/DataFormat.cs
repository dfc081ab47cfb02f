using Classify.Core.IO;

namespace Classify.Core.Data;

/// <summary>The tabular text formats Classify reads.</summary>
public enum DataFormat
{
    /// <summary>Comma-separated values (RFC 4180), <c>.csv</c>.</summary>
    Csv,
    /// <summary>Tab-separated values with optional CSV-style quoting, <c>.tsv</c>.</summary>
    Tsv,
    /// <summary>JSON Lines: one JSON object per line, <c>.jsonl</c> or <c>.ndjson</c>.</summary>
    JsonLines,
}

/// <summary>Conversions between <see cref="DataFormat"/>, file extensions and config names.</summary>
public static class DataFormats
{
    /// <summary>The config name: <c>csv</c>, <c>tsv</c> or <c>jsonl</c>.</summary>
    public static string ToName(this DataFormat format) => format switch
    {
        DataFormat.Csv => "csv",
        DataFormat.Tsv => "tsv",
        DataFormat.JsonLines => "jsonl",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>Parses a config name (case-insensitive; <c>ndjson</c> and <c>json_lines</c> mean JSON Lines).</summary>
    /// <exception cref="InputException">The name is not a known format.</exception>
    public static DataFormat Parse(string name) => name.Trim().TrimStart('.').ToLowerInvariant() switch
    {
        "csv" => DataFormat.Csv,
        "tsv" or "tab" => DataFormat.Tsv,
        "jsonl" or "ndjson" or "json_lines" or "jsonlines" => DataFormat.JsonLines,
        _ => throw new InputException($"unknown data format '{name}': expected csv, tsv or jsonl", field: "format"),
    };

    /// <summary>
    /// The format implied by a file name's extension (<c>.csv</c>, <c>.tsv</c>, <c>.jsonl</c>, <c>.ndjson</c>),
    /// or null when the extension says nothing.
    /// </summary>
    public static DataFormat? FromExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => DataFormat.Csv,
        ".tsv" or ".tab" => DataFormat.Tsv,
        ".jsonl" or ".ndjson" => DataFormat.JsonLines,
        _ => null,
    };

    /// <summary>The explicit format if given, else the one implied by the extension.</summary>
    /// <exception cref="InputException">Neither is available.</exception>
    public static DataFormat Resolve(string path, DataFormat? explicitFormat) =>
        explicitFormat ?? FromExtension(path)
        ?? throw new InputException(
            $"cannot tell the format from the extension '{Path.GetExtension(path)}': use .csv, .tsv, .jsonl or .ndjson, or set format",
            path, field: "format");
}
