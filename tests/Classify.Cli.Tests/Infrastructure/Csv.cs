using Classify.Core.Data;

namespace Classify.Cli.Tests.Infrastructure;

/// <summary>A CSV file read whole: header and rows (tests only; files here are small).</summary>
internal sealed record CsvTable(IReadOnlyList<string> Header, IReadOnlyList<string?[]> Rows)
{
    /// <summary>Reads a CSV file with the library's RFC 4180 reader.</summary>
    public static CsvTable Read(string path)
    {
        using var reader = RecordReader.Open(path, new RecordReaderOptions { Format = DataFormat.Csv });
        var header = reader.Columns.ToArray();
        var rows = reader.ReadAll().Select(r => Enumerable.Range(0, r.Count).Select(i => r[i]).ToArray()).ToList();
        return new CsvTable(header, rows);
    }

    /// <summary>The cells of one column.</summary>
    public IEnumerable<string?> Column(string name)
    {
        int i = Header.ToList().IndexOf(name);
        Assert.True(i >= 0, $"no column '{name}' in [{string.Join(", ", Header)}]");
        return Rows.Select(r => r[i]);
    }
}
