using System.Globalization;
using ClosedXML.Excel;
using Classify.Core.IO;
using Classify.Core.Runs;

namespace Classify.Reports.Ledger;

/// <summary>
/// Exports ledger tables (runs, trials, per_class_metrics) to CSV — one file per table — and to one XLSX workbook
/// with a sheet per table, typed cells (numbers as numbers, timestamps as dates, text as text), a bold frozen
/// header row and fitted column widths. Every file is written atomically.
/// </summary>
public static class LedgerExport
{
    /// <summary>Format of timestamps in CSV files (ISO 8601, UTC).</summary>
    public const string CsvDateTimeFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    /// <summary>Number format of timestamp cells in XLSX files.</summary>
    public const string XlsxDateTimeFormat = "yyyy-mm-dd hh:mm:ss";

    /// <summary>
    /// Writes <c>&lt;table name&gt;.csv</c> for each table into <paramref name="directory"/> (created if needed):
    /// a header row of column names, numbers in round-trip invariant format, timestamps as ISO 8601 UTC, null as an empty field.
    /// </summary>
    /// <returns>The full paths written, in table order.</returns>
    public static IReadOnlyList<string> WriteCsv(IReadOnlyList<LedgerTable> tables, string directory)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var paths = new List<string>();
        foreach (var table in tables)
        {
            var path = Path.GetFullPath(Path.Combine(directory, SafeFileName(table.Name) + ".csv"));
            AtomicFile.WriteText(path, w =>
            {
                var csv = new CsvWriter(w);
                csv.WriteRow(table.Columns.Select(c => c.Name));
                foreach (var row in table.Rows)
                    csv.WriteRow(table.Columns.Select((c, i) => FormatForCsv(CellValue(table, row, i))));
            });
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>Writes one workbook with a sheet per table to <paramref name="path"/>.</summary>
    public static void WriteXlsx(IReadOnlyList<LedgerTable> tables, string path)
    {
        ArgumentNullException.ThrowIfNull(tables);
        using var workbook = new XLWorkbook();
        foreach (var table in tables) AddSheet(workbook, table);
        // ClosedXML needs a readable, seekable stream to build the package; the bytes then go through AtomicFile.
        using var buffer = new MemoryStream();
        workbook.SaveAs(buffer);
        AtomicFile.WriteAllBytes(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Adds <paramref name="table"/> as a sheet with typed cells, a bold frozen header and fitted widths.</summary>
    internal static void AddSheet(XLWorkbook workbook, LedgerTable table)
    {
        var sheet = workbook.Worksheets.Add(SheetName(table.Name, workbook));
        var widths = new int[table.Columns.Count];
        for (int c = 0; c < table.Columns.Count; c++)
        {
            sheet.Cell(1, c + 1).SetValue(table.Columns[c].Name);
            widths[c] = table.Columns[c].Name.Length;
        }
        for (int r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            for (int c = 0; c < table.Columns.Count; c++)
            {
                var cell = sheet.Cell(r + 2, c + 1);
                switch (CellValue(table, row, c))
                {
                    case null:
                        break;
                    case double d:
                        cell.SetValue(d);
                        widths[c] = Math.Max(widths[c], Math.Min(d.ToString("0.######", CultureInfo.InvariantCulture).Length, 18));
                        break;
                    case long l:
                        cell.SetValue(l);
                        widths[c] = Math.Max(widths[c], l.ToString(CultureInfo.InvariantCulture).Length);
                        break;
                    case DateTime t:
                        cell.SetValue(t);
                        cell.Style.NumberFormat.Format = XlsxDateTimeFormat;
                        widths[c] = Math.Max(widths[c], XlsxDateTimeFormat.Length);
                        break;
                    case string s:
                        // SetValue<string> keeps text as text (the Value setter would turn "007" into 7).
                        cell.SetValue(s);
                        widths[c] = Math.Max(widths[c], s.Length);
                        break;
                }
            }
        }
        var header = sheet.Range(1, 1, 1, Math.Max(1, table.Columns.Count));
        header.Style.Font.Bold = true;
        header.Style.Fill.BackgroundColor = XLColor.FromArgb(0xF2, 0xF2, 0xF2);
        sheet.SheetView.FreezeRows(1);
        // Widths from the longest text (ClosedXML's AdjustToContents measures with System.Drawing, unavailable on Linux).
        for (int c = 0; c < widths.Length; c++) sheet.Column(c + 1).Width = Math.Clamp(widths[c] + 2, 6, 60);
        if (table.Rows.Count > 0 && table.Columns.Count > 0) sheet.Range(1, 1, table.Rows.Count + 1, table.Columns.Count).SetAutoFilter();
    }

    /// <summary>
    /// The cell converted to the column's type: <see cref="string"/>, <see cref="long"/>, <see cref="double"/>,
    /// <see cref="DateTime"/> (UTC) or null. Timestamps stored as text are parsed; values that do not convert are kept as text.
    /// </summary>
    internal static object? CellValue(LedgerTable table, object?[] row, int column)
    {
        if (row.Length != table.Columns.Count)
            throw new ArgumentException($"table '{table.Name}': a row has {row.Length} cells for {table.Columns.Count} columns", nameof(table));
        var value = row[column];
        if (value is null or DBNull) return null;
        var inv = CultureInfo.InvariantCulture;
        return table.Columns[column].Type switch
        {
            LedgerColumnType.Real => value switch
            {
                double d => double.IsFinite(d) ? d : null,
                float f => (double)f,
                long or int or short or decimal => Convert.ToDouble(value, inv),
                string s when double.TryParse(s, NumberStyles.Float, inv, out var d) => d,
                _ => Convert.ToString(value, inv),
            },
            LedgerColumnType.Integer => value switch
            {
                long l => l,
                int or short or byte or bool => Convert.ToInt64(value, inv),
                string s when long.TryParse(s, NumberStyles.Integer, inv, out var l) => l,
                _ => Convert.ToString(value, inv),
            },
            LedgerColumnType.DateTime => value switch
            {
                DateTime t => t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : DateTime.SpecifyKind(t, DateTimeKind.Utc),
                DateTimeOffset o => o.UtcDateTime,
                string s when DateTime.TryParse(s, inv, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) => t,
                _ => Convert.ToString(value, inv),
            },
            _ => Convert.ToString(value, inv),
        };
    }

    private static string FormatForCsv(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        DateTime t => t.ToString(CsvDateTimeFormat, CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>An Excel sheet name: at most 31 characters, none of <c>[]:*?/\</c>, unique in the workbook.</summary>
    private static string SheetName(string name, XLWorkbook workbook)
    {
        var clean = new string(name.Select(ch => "[]:*?/\\".Contains(ch) ? '_' : ch).ToArray()).Trim('\'');
        if (clean.Length == 0) clean = "sheet";
        if (clean.Length > 31) clean = clean[..31];
        var candidate = clean;
        for (int i = 2; workbook.Worksheets.Any(w => string.Equals(w.Name, candidate, StringComparison.OrdinalIgnoreCase)); i++)
            candidate = clean[..Math.Min(clean.Length, 28)] + "_" + i.ToString(CultureInfo.InvariantCulture);
        return candidate;
    }

    private static string SafeFileName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var clean = new string(name.Select(ch => invalid.Contains(ch) ? '_' : ch).ToArray());
        return clean.Length == 0 ? "table" : clean;
    }
}
