using Classify.Core.Data;
using Classify.Core.IO;

namespace Classify.Core.Tests.Data;

public sealed class CsvTableTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Reads_what_CsvWriter_writes_with_the_line_each_row_starts_on()
    {
        var path = Path.Combine(_dir.Path, "t.txt");
        using (var w = new StreamWriter(path))
        {
            var csv = new CsvWriter(w);
            csv.WriteRow(["id", "text"]);
            csv.WriteRow(["1", "a, \"b\"\nc"]);
            csv.WriteRow(["2", " padded "]);
        }
        var table = CsvTable.Read(path);
        Assert.Equal(["id", "text"], table.Header);
        Assert.Equal(["a, \"b\"\nc", " padded "], table.Column("text"));
        Assert.Equal([2L, 4L], table.Rows.Select(r => r.Line));
        Assert.Throws<ArgumentException>(() => table.Column("label"));
    }

    [Fact]
    public void A_header_without_rows_is_an_empty_table_and_a_ragged_row_an_input_error()
    {
        var empty = CsvTable.Read(_dir.Write("empty.csv", "id,text\n"));
        Assert.Equal(["id", "text"], empty.Header);
        Assert.Empty(empty.Rows);

        var e = Assert.Throws<InputException>(() => CsvTable.Read(_dir.Write("ragged.csv", "id,text\n1,a\n2\n")));
        Assert.Equal(3, e.Line);
        Assert.Throws<InputException>(() => CsvTable.Read(_dir.Write("nothing.csv", "")));
    }
}
