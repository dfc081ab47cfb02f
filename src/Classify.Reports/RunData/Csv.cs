using System.Text;
using Classify.Core.IO;

namespace Classify.Reports.RunData;

/// <summary>RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks.</summary>
internal static class Csv
{
    /// <summary>A parsed record and the 1-based physical line on which it starts.</summary>
    internal readonly record struct Record(long Line, string[] Fields);

    /// <summary>Reads every record of <paramref name="path"/>; the first one is the header.</summary>
    public static IEnumerable<Record> ReadFile(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
        foreach (var record in Read(reader, path)) yield return record;
    }

    /// <summary>Reads records from <paramref name="reader"/>; <paramref name="file"/> names the source in errors.</summary>
    public static IEnumerable<Record> Read(TextReader reader, string file)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        long line = 1, recordLine = 1;
        bool inQuotes = false, fieldStarted = false, any = false;
        int c;
        while ((c = reader.Read()) != -1)
        {
            any = true;
            char ch = (char)c;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else inQuotes = false;
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when !fieldStarted:
                    inQuotes = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    yield return new Record(recordLine, fields.ToArray());
                    fields.Clear();
                    line++;
                    recordLine = line;
                    any = false;
                    break;
                default:
                    field.Append(ch);
                    fieldStarted = true;
                    break;
            }
        }
        if (inQuotes) throw new InputException("unterminated quoted field", file, recordLine);
        if (any)
        {
            fields.Add(field.ToString());
            yield return new Record(recordLine, fields.ToArray());
        }
    }

    /// <summary>Quotes a field when it holds a comma, quote or line break (minimal quoting, as Python's csv module).</summary>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0) return value;
        return "\"" + value.Replace("\"", "\"\"") + "\"";
    }

    /// <summary>Writes one record ended by a line feed (the line ending of every text file Classify writes).</summary>
    public static void WriteRow(TextWriter writer, IEnumerable<string?> values)
    {
        bool first = true;
        foreach (var v in values)
        {
            if (!first) writer.Write(',');
            writer.Write(Escape(v));
            first = false;
        }
        writer.Write('\n');
    }
}
