using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Classify.Core.Data;

namespace Classify.Core.Tests.Data;

/// <summary>
/// Generated files far larger than any buffer stream through in bounded memory. GC.GetTotalMemory sees the whole
/// process, so these tests run alone (after the parallel ones), not beside tests that load whole datasets.
/// </summary>
[CollectionDefinition(nameof(LargeFileTests), DisableParallelization = true)]
[Collection(nameof(LargeFileTests))]
public sealed class LargeFileTests
{
    [Fact]
    public void A_20_MB_file_streams_in_bounded_memory() => StreamsInBoundedMemory(20L << 20, maxLiveGrowthBytes: 24L << 20);

    [Fact]
    [Trait("Category", "Slow")]
    public void A_200_MB_file_streams_in_bounded_memory() => StreamsInBoundedMemory(200L << 20, maxLiveGrowthBytes: 100L << 20);

    private static void StreamsInBoundedMemory(long targetBytes, long maxLiveGrowthBytes)
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "big.csv");
        long rows = Generate(path, targetBytes);

        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peakGrowth = 0, count = 0, textChars = 0;
        var watch = Stopwatch.StartNew();
        using (var reader = RecordReader.Open(path))
        {
            foreach (var record in reader.ReadAll())
            {
                count++;
                textChars += record[1]!.Length;
                // Measure live memory (after a full collection) a few times while the reader is mid-file.
                if (count % (rows / 4) == 0) peakGrowth = Math.Max(peakGrowth, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }
            using var file = File.OpenRead(path);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), reader.Sha256);
        }
        watch.Stop();

        Assert.Equal(rows, count);
        Assert.True(textChars > targetBytes / 2); // the texts really were materialised one by one
        Assert.True(peakGrowth < maxLiveGrowthBytes, $"live memory grew by {peakGrowth >> 20} MB while streaming");
        long after = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        Assert.True(after < maxLiveGrowthBytes, $"live memory grew by {after >> 20} MB after streaming");

        // The unlabelled-prediction path streams the same way.
        long streamed = 0;
        foreach (var example in DatasetLoader.ReadUnlabelled(path, new DatasetOptions { IdColumn = "id" }))
        {
            streamed++;
            if (streamed == rows / 2)
            {
                long growth = GC.GetTotalMemory(forceFullCollection: true) - baseline;
                Assert.True(growth < maxLiveGrowthBytes, $"live memory grew by {growth >> 20} MB in ReadUnlabelled");
            }
        }
        Assert.Equal(rows, streamed);
    }

    /// <summary>Writes CSV rows with quoted multi-line texts, doubled quotes and non-ASCII text until the size is reached.</summary>
    private static long Generate(string path, long targetBytes)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 20);
        writer.Write("id,text,label\n");
        long rows = 0;
        var random = new Random(42);
        while (writer.BaseStream.Length < targetBytes)
        {
            for (int i = 0; i < 1000; i++, rows++)
            {
                writer.Write(rows);
                writer.Write(",\"Row ");
                writer.Write(rows);
                writer.Write(" says \"\"héllo\"\", ünïcode ✓,\nand continues on a second line ");
                writer.Write(new string('x', random.Next(20, 200)));
                writer.Write("\",");
                writer.Write(rows % 3 == 0 ? "pos\n" : "neg\n");
            }
            writer.Flush();
        }
        return rows;
    }
}
