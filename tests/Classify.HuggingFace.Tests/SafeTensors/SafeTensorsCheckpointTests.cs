using System.Text.Json;
using Classify.Core.IO;
using Classify.HuggingFace.SafeTensors;

namespace Classify.HuggingFace.Tests.SafeTensors;

public class SafeTensorsCheckpointTests
{
    private static List<SafeTensorsEntry> FixtureEntries(string fixture)
    {
        using var file = SafeTensorsFile.Open(TestPaths.Fixture(fixture, "model.safetensors"));
        return file.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => new SafeTensorsEntry(t.Name, t.DType, t.Shape, file.GetBytes(t.Name).ToArray())).ToList();
    }

    [Fact]
    public void Sharded_round_trip_exposes_every_tensor_across_shards()
    {
        using var tmp = new TempDir();
        var entries = FixtureEntries("tiny-bert");
        // word_embeddings is 128000 bytes, above the limit: it gets a shard of its own.
        var files = SafeTensorsWriter.WriteSharded(tmp.Path, entries, maxShardSize: 40_000);
        Assert.True(files.Count >= 3);
        Assert.Equal(SafeTensorsWriter.ShardName(1, files.Count), files[0]);
        Assert.Equal($"model-00001-of-{files.Count:D5}.safetensors", files[0]);
        Assert.False(File.Exists(tmp.File("model.safetensors")));

        using var index = JsonDocument.Parse(File.ReadAllBytes(tmp.File("model.safetensors.index.json")));
        Assert.Equal(entries.Sum(e => (long)e.Data.Length), index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
        var mapped = index.RootElement.GetProperty("weight_map").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(mapped.Order(StringComparer.Ordinal), mapped);

        using var checkpoint = SafeTensorsCheckpoint.Open(tmp.Path);
        Assert.True(checkpoint.IsSharded);
        Assert.Equal(files.Count, checkpoint.Files.Count);
        Assert.Equal(entries.Count, checkpoint.Tensors.Count);
        foreach (var e in entries)
        {
            Assert.Equal(e.Shape, checkpoint.Tensors[e.Name].Shape);
            Assert.Equal(e.Data.ToArray(), checkpoint.GetBytes(e.Name).ToArray());
        }
        Assert.True(checkpoint.Files.All(f => f.FileLength <= 40_000 + 8 + f.DataStart || f.Tensors.Count == 1));
        Assert.Equal(entries.Sum(e => (long)e.Data.Length).ToString(), checkpoint.Metadata["total_size"]);

        // Saving again without sharding replaces the shards and the index by one file.
        var single = SafeTensorsWriter.WriteSharded(tmp.Path, entries, maxShardSize: long.MaxValue);
        Assert.Equal(["model.safetensors"], single);
        Assert.Equal(["model.safetensors"], Directory.GetFiles(tmp.Path).Select(Path.GetFileName));
        Assert.Equal(File.ReadAllBytes(TestPaths.Fixture("tiny-bert", "model.safetensors")), File.ReadAllBytes(tmp.File("model.safetensors")));
    }

    [Fact]
    public void Index_pointing_at_a_missing_shard_or_tensor_is_an_input_error()
    {
        using var tmp = new TempDir();
        SafeTensorsWriter.WriteSharded(tmp.Path, FixtureEntries("tiny-distilbert"), maxShardSize: 50_000);
        var indexPath = tmp.File("model.safetensors.index.json");
        var original = File.ReadAllText(indexPath);

        File.WriteAllText(indexPath, original.Replace("\"classifier.bias\"", "\"classifier.nonexistent\""));
        var e = Assert.Throws<InputException>(() => SafeTensorsCheckpoint.Open(tmp.Path));
        Assert.Equal("classifier.nonexistent", e.Field);

        File.WriteAllText(indexPath, original.Replace("model-00001-of", "model-00009-of"));
        e = Assert.Throws<InputException>(() => SafeTensorsCheckpoint.Open(tmp.Path));
        Assert.Contains("does not exist", e.Message);

        File.WriteAllText(indexPath, original.Replace("model-00001-of", "../model-00001-of"));
        e = Assert.Throws<InputException>(() => SafeTensorsCheckpoint.Open(tmp.Path));
        Assert.Contains("file name inside the model folder", e.Message);
    }

    [Fact]
    public void Pickled_checkpoints_are_refused_with_the_conversion_command()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("pytorch_model.bin"), [0x80, 0x02]);
        File.WriteAllText(tmp.File("config.json"), "{}");
        var e = Assert.Throws<InputException>(() => SafeTensorsCheckpoint.Open(tmp.Path));
        Assert.Contains("pytorch_model.bin", e.Message);
        Assert.Contains("executes arbitrary code", e.Message);
        Assert.Contains("save_pretrained", e.Message);
        Assert.Contains("safe_serialization=True", e.Message);

        using var empty = new TempDir();
        Assert.Contains("no model.safetensors", Assert.Throws<InputException>(() => SafeTensorsCheckpoint.Open(empty.Path)).Message);
    }

    [Fact]
    public void A_single_file_path_opens_directly()
    {
        using var checkpoint = SafeTensorsCheckpoint.Open(TestPaths.Fixture("tiny-modernbert", "model.safetensors"));
        Assert.Single(checkpoint.Files);
        Assert.Equal(96 * 32, checkpoint.ReadFloat32("model.layers.0.attn.Wqkv.weight").Length);
    }
}
