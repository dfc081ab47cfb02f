using System.Globalization;

namespace Classify.Core.IO;

/// <summary>Writes RFC 4180 CSV: fields quoted only when they hold a comma, quote, CR or LF (or leading/trailing space).</summary>
public sealed class CsvWriter
{
    private readonly TextWriter _writer;

    /// <summary>Wraps a text writer (not owned).</summary>
    public CsvWriter(TextWriter writer) => _writer = writer;

    /// <summary>Writes one record and a LF line ending.</summary>
    public void WriteRow(IEnumerable<string?> fields)
    {
        bool first = true;
        foreach (var f in fields)
        {
            if (!first) _writer.Write(',');
            first = false;
            WriteField(f);
        }
        _writer.Write('\n');
    }

    /// <summary>Writes one record of mixed values (numbers in invariant round-trip form).</summary>
    public void WriteValues(params object?[] fields) => WriteRow(fields.Select(Format));

    /// <summary>Formats a value the way Classify writes numbers: invariant culture, round-trip precision.</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        DateTime t => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private void WriteField(string? field)
    {
        if (string.IsNullOrEmpty(field)) return;
        bool quote = field.AsSpan().IndexOfAny(",\"\r\n") >= 0 || char.IsWhiteSpace(field[0]) || char.IsWhiteSpace(field[^1]);
        if (!quote) { _writer.Write(field); return; }
        _writer.Write('"');
        _writer.Write(field.Replace("\"", "\"\""));
        _writer.Write('"');
    }
}
