using Classify.Core.IO;

namespace Classify.Core.Data;

/// <summary>
/// A CSV file read with the library's RFC 4180 reader (<see cref="RecordReader"/>): its header and its rows. Meant
/// for the files Classify writes (predictions, ledger exports, comparisons): whatever the extension, the file is
/// CSV, and unlike <see cref="RecordReader.Open"/>, a header with no rows is a table with no rows.
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

    /// <summary>Reads a whole CSV file.</summary>
    /// <exception cref="InputException">The file is missing, empty, binary or malformed (the message names the line).</exception>
    public static CsvTable Read(string path)
    {
        using var reader = Open(path);
        return new CsvTable(reader.Columns, reader.ReadAll().ToList());
    }

    /// <summary>Opens a CSV file to stream its rows in constant memory, read as <see cref="Read"/> reads it.</summary>
    /// <exception cref="InputException">The file is missing, empty, binary, or its header or first row is malformed.</exception>
    public static RecordReader Open(string path) =>
        RecordReader.OpenAllowingHeaderOnly(path, new RecordReaderOptions { Format = DataFormat.Csv });

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
