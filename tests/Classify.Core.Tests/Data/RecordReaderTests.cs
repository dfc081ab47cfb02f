using System.Security.Cryptography;
using System.Text;
using Classify.Core.Data;
using Classify.Core.IO;

namespace Classify.Core.Tests.Data;

public sealed class RecordReaderTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<DataRecord> ReadAll(string path, RecordReaderOptions? options = null)
    {
        using var reader = RecordReader.Open(path, options);
        return reader.ReadAll().ToList();
    }

    private static string[] Values(DataRecord r) => Enumerable.Range(0, r.Count).Select(i => r[i] ?? "<null>").ToArray();

    [Fact]
    public void Csv_handles_quotes_doubled_quotes_embedded_newlines_and_line_numbers()
    {
        var path = _dir.Write("a.csv",
            "id,text,label\r\n" +
            "1,plain,pos\r\n" +
            "2,\"with, comma and \"\"quotes\"\"\",neg\r\n" +
            "3,\"two\r\nlines\nthree\",pos\n" +
            "4,\"\",neg\n" +
            "5,last,pos"); // no final newline
        var rows = ReadAll(path);
        Assert.Equal(["id", "text", "label"], rows[0].Columns);
        Assert.Equal(5, rows.Count);
        Assert.Equal(["2", "with, comma and \"quotes\"", "neg"], Values(rows[1]));
        Assert.Equal("two\r\nlines\nthree", rows[2][1]);
        Assert.Equal("", rows[3][1]);
        Assert.Equal(["5", "last", "pos"], Values(rows[4]));
        Assert.Equal([2L, 3, 4, 7, 8], rows.Select(r => r.Line));
        Assert.Equal([1L, 2, 3, 4, 5], rows.Select(r => r.RowNumber));
    }

    [Fact]
    public void CsvTable_reads_what_CsvWriter_writes_with_the_line_each_row_starts_on()
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
    public void CsvTable_reads_a_header_without_rows_as_an_empty_table_and_a_ragged_row_as_an_input_error()
    {
        var empty = CsvTable.Read(_dir.Write("empty.csv", "id,text\n"));
        Assert.Equal(["id", "text"], empty.Header);
        Assert.Empty(empty.Rows);

        var e = Assert.Throws<InputException>(() => CsvTable.Read(_dir.Write("ragged.csv", "id,text\n1,a\n2\n")));
        Assert.Equal(3, e.Line);
        Assert.Throws<InputException>(() => CsvTable.Read(_dir.Write("nothing.csv", "")));
    }

    [Fact]
    public void Csv_skips_blank_lines_and_accepts_bare_CR_line_ends()
    {
        var path = _dir.Write("cr.csv", "a,b\r\r1,x\r\n\n2,y\r");
        var rows = ReadAll(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(["2", "y"], Values(rows[1]));
        Assert.Equal(3L, rows[0].Line);
        Assert.Equal(5L, rows[1].Line);
    }

    [Fact]
    public void Csv_reads_a_quoted_field_larger_than_several_buffers()
    {
        var big = string.Concat(Enumerable.Repeat("line with \"quote\", comma\n", 20_000)); // ~500 KB
        var path = _dir.Write("big.csv", "id,text\n1,\"" + big.Replace("\"", "\"\"") + "\"\n2,after\n");
        var rows = ReadAll(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(big, rows[0][1]);
        Assert.Equal(3L + 20_000, rows[1].Line); // header, the first row start, then 20,000 line breaks inside the field
    }

    [Fact]
    public void Csv_quote_rules_match_python_csv_for_stray_quotes()
    {
        // Python: csv.reader(['a"b,"c"d']) -> ['a"b', 'cd']
        var path = _dir.Write("q.csv", "x,y\na\"b,\"c\"d\n");
        Assert.Equal(["a\"b", "cd"], Values(ReadAll(path)[0]));
    }

    [Fact]
    public void Tsv_without_header_supports_csv_quoting_and_positional_columns()
    {
        var path = _dir.Write("g.tsv", "\"Three words \"\"Dude.\"\" \"\t3\tid1\nplain\t27\tid2\n");
        using var reader = RecordReader.Open(path, new RecordReaderOptions { HasHeader = false });
        var rows = reader.ReadAll().ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal("Three words \"Dude.\" ", rows[0][0]);
        Assert.True(rows[0].TryGetValue("1", out var label));
        Assert.Equal("3", label);
        Assert.Equal(1L, rows[0].Line);

        using var named = RecordReader.Open(path, new RecordReaderOptions { HasHeader = false, ColumnNames = ["text", "labels", "id"] });
        var first = named.Read()!;
        Assert.True(first.TryGetValue("id", out var id));
        Assert.Equal("id1", id);
        Assert.True(first.TryGetValue("2", out var byIndex));
        Assert.Equal("id1", byIndex);
    }

    [Fact]
    public void Tsv_quoting_can_be_turned_off()
    {
        var path = _dir.Write("raw.tsv", "text\tlabel\n\"quoted\" start\tx\n");
        var rows = ReadAll(path, new RecordReaderOptions { Quoting = false });
        Assert.Equal("\"quoted\" start", rows[0][0]);
    }

    [Fact]
    public void JsonLines_turns_values_into_strings_and_tracks_lines()
    {
        var path = _dir.Write("d.jsonl",
            "{\"text\":\"hi \\\"there\\\"\",\"label\":2,\"tags\":[\"joy\",\"love\"],\"ok\":true,\"none\":null}\r\n" +
            "\n" +
            "{\"text\":\"second\",\"label\":\"neg\"}");
        var rows = ReadAll(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(["hi \"there\"", "2", "[\"joy\",\"love\"]", "true", "<null>"], Values(rows[0]));
        Assert.Equal(["text", "label"], rows[1].Columns);
        Assert.Equal([1L, 3], rows.Select(r => r.Line));
    }

    [Theory]
    [InlineData("[1,2]\n", "expected a JSON object")]
    [InlineData("{\"a\":1}\n{\"a\":\n", "invalid JSON")]
    public void JsonLines_rejects_bad_lines_with_their_line_number(string content, string reason)
    {
        var path = _dir.Write("bad.ndjson", content);
        var e = Assert.Throws<InputException>(() => ReadAll(path));
        Assert.Contains(reason, e.Message);
        Assert.Equal(path, e.File);
        Assert.Equal(content.Count(c => c == '\n'), e.Line);
    }

    [Fact]
    public void Bom_is_skipped_and_invalid_utf8_is_replaced_and_counted()
    {
        var bytes = new List<byte> { 0xEF, 0xBB, 0xBF };
        bytes.AddRange(Encoding.ASCII.GetBytes("text,label\ncaf"));
        bytes.Add(0xE9); // Latin-1 é: invalid in UTF-8
        bytes.AddRange(Encoding.ASCII.GetBytes(",a\nok "));
        bytes.AddRange([0xC3, 0xA9, 0xFF, 0xFE]); // valid é, then two invalid bytes
        bytes.AddRange(Encoding.ASCII.GetBytes(",b\n"));
        var path = _dir.WriteBytes("latin.csv", bytes.ToArray());
        using var reader = RecordReader.Open(path);
        Assert.Equal("text", reader.Columns[0]);
        var rows = reader.ReadAll().ToList();
        Assert.Equal("caf\uFFFD", rows[0][0]);
        Assert.Equal("ok é\uFFFD\uFFFD", rows[1][0]);
        Assert.Equal(3, reader.InvalidUtf8Replaced);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())), reader.Sha256);
    }

    [Fact]
    public void Ragged_row_names_file_line_and_counts()
    {
        var path = _dir.Write("ragged.csv", "a,b,c\n1,2,3\n\"multi\nline\",2,3\n4,5,6,7\n");
        var e = Assert.Throws<InputException>(() => ReadAll(path));
        Assert.Equal(path, e.File);
        Assert.Equal(5, e.Line);
        Assert.Contains("expected 3 fields", e.Message);
        Assert.Contains("found 4", e.Message);
    }

    [Fact]
    public void Unterminated_quote_reports_the_line_where_the_field_started()
    {
        var path = _dir.Write("open.csv", "a,b\n1,ok\n2,\"never closed\n3,more\n4,rows\n");
        var e = Assert.Throws<InputException>(() => ReadAll(path));
        Assert.Equal(3, e.Line);
        Assert.Contains("unterminated quoted field", e.Message);
    }

    [Fact]
    public void Empty_file_blank_file_and_header_only_fail_at_open()
    {
        var empty = _dir.Write("empty.csv", "");
        Assert.Contains("empty", Assert.Throws<InputException>(() => RecordReader.Open(empty)).Message);
        var blank = _dir.WriteBytes("blank.jsonl", [0xEF, 0xBB, 0xBF, (byte)'\n', (byte)' ', (byte)'\n']);
        Assert.Contains("no data rows", Assert.Throws<InputException>(() => RecordReader.Open(blank)).Message);
        var header = _dir.Write("header.csv", "id,text,label\n");
        var e = Assert.Throws<InputException>(() => RecordReader.Open(header));
        Assert.Contains("header", e.Message);
        Assert.Contains("'text'", e.Message);
        Assert.Equal(header, e.File);
    }

    [Theory]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00 }, "gzip")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, "PNG")]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14, 0x00 }, "zip")]
    [InlineData(new byte[] { (byte)'a', (byte)',', (byte)'b', 0x00, 0x01, (byte)'\n' }, "NUL")]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'a', 0x00 }, "UTF-16")]
    public void Binary_files_are_rejected_with_the_file_name(byte[] head, string kind)
    {
        var bytes = head.Concat(RandomBytes(4096)).ToArray();
        var path = _dir.WriteBytes("data.csv", bytes);
        var e = Assert.Throws<InputException>(() => RecordReader.Open(path));
        Assert.Equal(path, e.File);
        Assert.Contains(kind, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_nul_character_after_the_sniffed_head_is_still_rejected()
    {
        var text = "text,label\n" + string.Concat(Enumerable.Repeat("hello,x\n", 3000)) + "bad\0,x\n";
        var path = _dir.Write("late.csv", text);
        var e = Assert.Throws<InputException>(() => ReadAll(path));
        Assert.Contains("binary", e.Message);
        Assert.Equal(3002, e.Line);
    }

    [Fact]
    public void Format_comes_from_the_extension_or_the_option()
    {
        var path = _dir.Write("data.txt", "a\tb\n1\t2\n");
        var e = Assert.Throws<InputException>(() => RecordReader.Open(path));
        Assert.Equal("format", e.Field);
        var rows = ReadAll(path, new RecordReaderOptions { Format = DataFormats.Parse("tsv") });
        Assert.Equal(["1", "2"], Values(rows[0]));
        Assert.Equal(DataFormat.JsonLines, DataFormats.FromExtension("x.NDJSON"));
        Assert.Throws<InputException>(() => RecordReader.Open(_dir.Path + "/missing.csv"));
    }

    [Fact]
    public void Custom_separator_reads_semicolon_csv()
    {
        var path = _dir.Write("semi.csv", "text;label\n\"a;b\";x\n");
        Assert.Equal(["a;b", "x"], Values(ReadAll(path, new RecordReaderOptions { Separator = ';' })[0]));
    }

    [Fact]
    public async Task Async_reading_gives_the_same_records_and_hash()
    {
        var sb = new StringBuilder("id,text\n");
        for (int i = 0; i < 20_000; i++) sb.Append(i).Append(",\"row ").Append(i).Append("\nsecond line, with \"\"quote\"\"\"\n");
        var path = _dir.Write("async.csv", sb.ToString());
        using var sync = RecordReader.Open(path);
        var expected = sync.ReadAll().Select(r => (r.Line, r[0], r[1])).ToList();
        using var reader = await RecordReader.OpenAsync(path);
        var actual = new List<(long, string?, string?)>();
        await foreach (var r in reader.ReadAllAsync()) actual.Add((r.Line, r[0], r[1]));
        Assert.Equal(expected, actual);
        Assert.Equal(20_000, reader.RowsRead);
        Assert.Equal(sync.Sha256, reader.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), reader.Sha256);
    }

    private static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        new Random(1).NextBytes(b);
        return b;
    }
}
