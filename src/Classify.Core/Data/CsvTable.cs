using Classify.Core.IO;

namespace Classify.Core.Data;

/// <summary>
/// A CSV file read whole with the library's RFC 4180 reader (<see cref="RecordReader"/>): its header and its rows.
/// Meant for the small files Classify writes (predictions, ledger exports, comparisons); stream large data files
/// with <see cref="RecordReader"/>. Unlike <see cref="RecordReader.Open"/>, a header with no rows is an empty table.
/// </summary>
public sealed class CsvTable
{
    private CsvTable(RecordColumns header, IReadOnlyList<DataRecord> rows)
    {
        Header = header;
        Rows = rows;
    }

    /// <summary>The column names of the header row.</summary>
    public RecordColumns Header { get; }

    /// <summary>The data rows in file order; each knows the line it starts on.</summary>
    public IReadOnlyList<DataRecord> Rows { get; }

    /// <summary>Reads a CSV file whatever its extension.</summary>
    /// <exception cref="InputException">The file is missing, empty, binary or malformed (the message names the line).</exception>
    public static CsvTable Read(string path)
    {
        using var reader = RecordReader.OpenAllowingHeaderOnly(path, new RecordReaderOptions { Format = DataFormat.Csv });
        return new CsvTable(reader.Columns, reader.ReadAll().ToList());
    }

    /// <summary>The cells of one column (resolved as in <see cref="RecordColumns.IndexOf"/>), in row order.</summary>
    /// <exception cref="ArgumentException">There is no such column.</exception>
    public IEnumerable<string> Column(string name)
    {
        int i = Header.IndexOf(name);
        if (i < 0) throw new ArgumentException($"No column '{name}'; the columns are {Header.Describe()}.", nameof(name));
        // CSV cells are never null (only JSON Lines has nulls).
        return Rows.Select(r => r[i]!);
    }
}
