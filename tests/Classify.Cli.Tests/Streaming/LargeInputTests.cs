using System.Diagnostics;
using System.Text;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.Streaming;

/// <summary><c>predict --input big.csv --output out.csv</c> streams: row count preserved, memory bounded whatever the file size.</summary>
[Collection(TrainedTweetsCollection.Name)]
public sealed class LargeInputTests(TrainedTweetsModel model) : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    /// <summary>Writes a CSV of real tweets (cycled, with fresh ids) of at least <paramref name="bytes"/> bytes; returns its path and row count.</summary>
    private (string Path, long Rows) WriteBigCsv(long bytes)
    {
        var tweets = DataSlices.TweetRows(1500).Where(t => t.Text.Trim().Length > 0).Select(t => "\"" + t.Text.Replace("\"", "\"\"") + "\"").ToArray();
        var path = _ws.PathOf("big.csv");
        long rows = 0;
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20))
        {
            writer.Write("id,text\n");
            while (writer.BaseStream.Position < bytes)
            {
                for (int i = 0; i < 1000; i++, rows++)
                {
                    writer.Write("r");
                    writer.Write(rows);
                    writer.Write(',');
                    writer.Write(tweets[rows % tweets.Length]);
                    writer.Write('\n');
                }
                writer.Flush();
            }
        }
        return (path, rows);
    }

    private static long CountLines(string path)
    {
        long lines = 0;
        var buffer = new byte[1 << 20];
        using var stream = File.OpenRead(path);
        int n;
        while ((n = stream.Read(buffer)) > 0) lines += buffer.AsSpan(0, n).Count((byte)'\n');
        return lines;
    }

    [Fact]
    public void Ten_megabyte_input_streams_through()
    {
        var (input, rows) = WriteBigCsv(10L << 20);
        var output = _ws.PathOf("out.csv");
        var clock = Stopwatch.StartNew();
        CliRunner.Ok("predict", "--model", model.ModelDir, "--input", input, "--output", output, "--id-col", "id", "--batch-size", "512");
        clock.Stop();
        Assert.Equal(rows + 1, CountLines(output));   // the texts hold no newlines, so lines = header + rows
        using var reader = new StreamReader(output);
        Assert.Equal("id,text,labels,p_negative,p_neutral,p_positive,predictive_entropy,aleatoric,epistemic,std_negative,std_neutral,std_positive", reader.ReadLine());
        Assert.StartsWith("r0,", reader.ReadLine());
        Console.WriteLine($"10 MB, {rows:N0} rows scored in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Two_hundred_megabyte_input_streams_through_in_bounded_memory()
    {
        var (input, rows) = WriteBigCsv(200L << 20);
        var output = _ws.PathOf("out.csv");
        long peak = 0;
        var result = CliRunner.RunProcess(["predict", "--model", model.ModelDir, "--input", input, "--output", output, "--id-col", "id", "--batch-size", "512"],
            whileRunning: p =>
            {
                try { p.Refresh(); peak = Math.Max(peak, p.PeakWorkingSet64); }   // VmHWM: the true peak so far
                catch (InvalidOperationException) { }   // exited between the checks
            }, timeout: TimeSpan.FromMinutes(15));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(rows + 1, CountLines(output));
        // Holding the input alone would take 400 MB as UTF-16 strings; a streaming scorer stays far below.
        Assert.True(peak < 300L << 20, $"peak working set {peak >> 20} MB for a 200 MB input: not streaming");
        Console.WriteLine($"200 MB, {rows:N0} rows; peak working set {peak >> 20} MB");
    }
}
