using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Classify.Core.IO;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;

namespace Classify.HuggingFace.Tests.SafeTensors;

public class SafeTensorsFileTests
{
    public static TheoryData<string> Fixtures => new() { "tiny-bert", "tiny-bert-multilabel", "tiny-distilbert", "tiny-roberta", "tiny-modernbert" };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_checkpoints_have_the_shapes_their_config_implies(string fixture)
    {
        var dir = TestPaths.Fixture(fixture);
        using var checkpoint = SafeTensorsCheckpoint.Open(dir);
        var config = PretrainedConfig.Load(dir);
        Assert.Equal("pt", checkpoint.Metadata["format"]);
        Assert.False(checkpoint.IsSharded);
        Assert.All(checkpoint.Tensors.Values, t => Assert.Equal(SafeTensorsDType.F32, t.DType));

        void Shape(string name, params long[] shape) => Assert.Equal(shape, checkpoint.Tensors[name].Shape);
        var labels = config.NumLabels;
        switch (config)
        {
            case RobertaConfig r:
                Shape("roberta.embeddings.word_embeddings.weight", r.VocabSize, r.HiddenSize);
                Shape("roberta.embeddings.position_embeddings.weight", r.MaxPositionEmbeddings, r.HiddenSize);
                Shape("roberta.embeddings.token_type_embeddings.weight", r.TypeVocabSize, r.HiddenSize);
                for (var i = 0; i < r.NumHiddenLayers; i++)
                    Shape($"roberta.encoder.layer.{i}.intermediate.dense.weight", r.IntermediateSize, r.HiddenSize);
                Shape("classifier.dense.weight", r.HiddenSize, r.HiddenSize);
                Shape("classifier.out_proj.weight", labels, r.HiddenSize);
                Assert.DoesNotContain(checkpoint.Tensors.Keys, k => k.Contains("pooler"));
                break;
            case BertConfig b:
                Shape("bert.embeddings.word_embeddings.weight", b.VocabSize, b.HiddenSize);
                Shape("bert.embeddings.position_embeddings.weight", b.MaxPositionEmbeddings, b.HiddenSize);
                Shape("bert.embeddings.token_type_embeddings.weight", b.TypeVocabSize, b.HiddenSize);
                for (var i = 0; i < b.NumHiddenLayers; i++)
                {
                    Shape($"bert.encoder.layer.{i}.attention.self.query.weight", b.HiddenSize, b.HiddenSize);
                    Shape($"bert.encoder.layer.{i}.intermediate.dense.weight", b.IntermediateSize, b.HiddenSize);
                    Shape($"bert.encoder.layer.{i}.output.dense.weight", b.HiddenSize, b.IntermediateSize);
                }
                Shape("bert.pooler.dense.weight", b.HiddenSize, b.HiddenSize);
                Shape("classifier.weight", labels, b.HiddenSize);
                Shape("classifier.bias", labels);
                Assert.Equal(5 + 16 * b.NumHiddenLayers + 2 + 2, checkpoint.Tensors.Count);
                break;
            case DistilBertConfig d:
                Shape("distilbert.embeddings.word_embeddings.weight", d.VocabSize, d.Dim);
                Shape("distilbert.embeddings.position_embeddings.weight", d.MaxPositionEmbeddings, d.Dim);
                for (var i = 0; i < d.NLayers; i++)
                {
                    Shape($"distilbert.transformer.layer.{i}.attention.q_lin.weight", d.Dim, d.Dim);
                    Shape($"distilbert.transformer.layer.{i}.ffn.lin1.weight", d.HiddenDim, d.Dim);
                    Shape($"distilbert.transformer.layer.{i}.ffn.lin2.weight", d.Dim, d.HiddenDim);
                }
                Shape("pre_classifier.weight", d.Dim, d.Dim);
                Shape("classifier.weight", labels, d.Dim);
                break;
            case ModernBertConfig m:
                Shape("model.embeddings.tok_embeddings.weight", m.VocabSize, m.HiddenSize);
                for (var i = 0; i < m.NumHiddenLayers; i++)
                {
                    Shape($"model.layers.{i}.attn.Wqkv.weight", 3 * m.HiddenSize, m.HiddenSize);
                    Shape($"model.layers.{i}.mlp.Wi.weight", 2 * m.IntermediateSize, m.HiddenSize);
                    Shape($"model.layers.{i}.mlp.Wo.weight", m.HiddenSize, m.IntermediateSize);
                }
                Assert.False(checkpoint.Contains("model.layers.0.attn_norm.weight"));
                Shape("model.layers.1.attn_norm.weight", m.HiddenSize);
                Shape("head.dense.weight", m.HiddenSize, m.HiddenSize);
                Shape("classifier.weight", labels, m.HiddenSize);
                Shape("classifier.bias", labels);
                Assert.DoesNotContain(checkpoint.Tensors.Keys, k => k.StartsWith("model.layers.") && k.EndsWith(".bias"));
                break;
            default:
                Assert.Fail($"unexpected config type {config.GetType().Name}");
                break;
        }
    }

    [Fact]
    public void Fixture_values_match_a_plain_reading_of_the_bytes()
    {
        var path = TestPaths.Fixture("tiny-bert", "model.safetensors");
        var raw = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        using var header = JsonDocument.Parse(raw.AsMemory(8, n));
        var entry = header.RootElement.GetProperty("classifier.weight");
        var begin = entry.GetProperty("data_offsets")[0].GetInt32();

        using var file = SafeTensorsFile.Open(path);
        var values = file.ReadFloat32("classifier.weight");
        Assert.Equal(96, values.Length);
        for (var i = 0; i < values.Length; i++)
            Assert.Equal(BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(8 + n + begin + 4 * i)), values[i]);
        Assert.Equal(values.Select(v => (double)v), file.ReadFloat64("classifier.weight"));
        Assert.Equal(8 + n, file.DataStart);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Rewriting_a_fixture_reproduces_it_byte_for_byte(string fixture)
    {
        using var tmp = new TempDir();
        var source = TestPaths.Fixture(fixture, "model.safetensors");
        using (var file = SafeTensorsFile.Open(source))
        {
            var entries = file.Tensors.Values.Select(t => new SafeTensorsEntry(t.Name, t.DType, t.Shape, file.GetBytes(t.Name).ToArray()));
            SafeTensorsWriter.Write(tmp.File("model.safetensors"), entries, file.Metadata);
        }
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(tmp.File("model.safetensors")));
    }

    [Fact]
    public void Every_dtype_round_trips_and_is_laid_out_in_the_reference_order()
    {
        using var tmp = new TempDir();
        var rng = new Random(7);
        byte[] Bytes(int n) { var b = new byte[n]; rng.NextBytes(b); return b; }
        var entries = new List<SafeTensorsEntry>
        {
            new("a.bool", SafeTensorsDType.BOOL, [3], new byte[] { 1, 0, 1 }),
            new("b.u8", SafeTensorsDType.U8, [2, 2], Bytes(4)),
            new("c.i8", SafeTensorsDType.I8, [5], Bytes(5)),
            new("d.i16", SafeTensorsDType.I16, [3], Bytes(6)),
            new("e.f16", SafeTensorsDType.F16, [2], new byte[] { 0x00, 0x3C, 0x00, 0xC0 }),
            new("f.bf16", SafeTensorsDType.BF16, [2], new byte[] { 0x80, 0x3F, 0x00, 0xC0 }),
            new("g.i32", SafeTensorsDType.I32, [2], Bytes(8)),
            new("h.f32", SafeTensorsDType.F32, [2, 3], Bytes(24)),
            new("i.f64", SafeTensorsDType.F64, [1], Bytes(8)),
            new("j.i64", SafeTensorsDType.I64, [2], Bytes(16)),
            new("k.scalar", SafeTensorsDType.F32, [], Bytes(4)),
            new("l.empty", SafeTensorsDType.F32, [0, 4], Array.Empty<byte>()),
        };
        var path = tmp.File("all.safetensors");
        SafeTensorsWriter.Write(path, entries, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "quote \" and ünïcode" });

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal("quote \" and ünïcode", file.Metadata["note"]);
        foreach (var e in entries)
        {
            Assert.Equal(e.DType, file.Tensors[e.Name].DType);
            Assert.Equal(e.Shape, file.Tensors[e.Name].Shape);
            Assert.Equal(e.Data.ToArray(), file.GetBytes(e.Name).ToArray());
        }
        // Descending alignment as in the Rust Dtype enum (I64 > F64 > F32 > I32 > BF16 > F16 > I16 > I8 > U8 > BOOL), then name.
        var order = file.Tensors.Values.Where(t => t.ByteLength > 0).OrderBy(t => t.DataOffset).Select(t => t.Name);
        Assert.Equal(["j.i64", "i.f64", "h.f32", "k.scalar", "g.i32", "f.bf16", "e.f16", "d.i16", "c.i8", "b.u8", "a.bool"], order);
        Assert.Equal(0, file.DataStart % 8);
        Assert.Equal([1L, 0, 1], file.ReadInt64("a.bool"));
        Assert.Equal([1f, -2f], file.ReadFloat32("e.f16"));
        Assert.Equal([1f, -2f], file.ReadFloat32("f.bf16"));
        Assert.Empty(file.ReadFloat32("l.empty"));
    }

    [Fact]
    public void Header_is_padded_with_spaces_to_a_multiple_of_eight()
    {
        using var tmp = new TempDir();
        var path = tmp.File("p.safetensors");
        SafeTensorsWriter.Write(path, [SafeTensorsEntry.FromFloat32("w", [1], [1.5f])]);
        var raw = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        var header = Encoding.UTF8.GetString(raw, 8, n);
        const string expected = "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Assert.Equal(expected, header.TrimEnd(' '));
        Assert.True(n > expected.Length, "this header needs padding");
        Assert.Equal(0, (8 + n) % 8);
        Assert.Equal(8 + n + 4, raw.Length);
    }

    [Fact]
    public void Half_and_bfloat16_convert_to_the_exact_float_values()
    {
        using var tmp = new TempDir();
        ushort[] halfBits = [0x3C00, 0x3555, 0x0001, 0xFBFF, 0x7C00, 0x8000, 0x4248];
        float[] halfValues = [1f, 0.333251953125f, 5.9604645e-8f, -65504f, float.PositiveInfinity, -0f, 3.140625f];
        ushort[] bfBits = [0x3F80, 0x4049, 0xC2F7, 0x0001, 0x7F80, 0x3EAB];
        float[] bfValues = [1f, 3.140625f, -123.5f, 9.18355e-41f, float.PositiveInfinity, 0.333984375f];
        static byte[] Le(ushort[] bits) { var b = new byte[bits.Length * 2]; for (var i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), bits[i]); return b; }
        var path = tmp.File("h.safetensors");
        SafeTensorsWriter.Write(path,
        [
            new SafeTensorsEntry("half", SafeTensorsDType.F16, [halfBits.Length], Le(halfBits)),
            new SafeTensorsEntry("bf", SafeTensorsDType.BF16, [bfBits.Length], Le(bfBits)),
            new SafeTensorsEntry("i32", SafeTensorsDType.I32, [2], new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 5, 0, 0, 0 }),
        ]);
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(halfValues, file.ReadFloat32("half"));
        var bf = file.ReadFloat32("bf");
        for (var i = 0; i < bfValues.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(bfValues[i]) >> 16, BitConverter.SingleToInt32Bits(bf[i]) >> 16);
        Assert.Equal(BitConverter.Int32BitsToSingle(0x00010000), bf[3]);
        Assert.Equal(halfValues.Select(v => (double)v), file.ReadFloat64("half"));
        Assert.Equal([-1L, 5L], file.ReadInt64("i32"));
        var wrongKind = Assert.Throws<InvalidOperationException>(() => file.ReadFloat32("i32"));
        Assert.Contains("i32", wrongKind.Message);
        Assert.Throws<InvalidOperationException>(() => file.ReadInt64("half"));
        Assert.Throws<KeyNotFoundException>(() => file.GetBytes("missing"));
    }

    public static TheoryData<string, byte[], string> CorruptFiles => new()
    {
        { "too short", new byte[] { 1, 2, 3 }, "8-byte header length" },
        { "length past end", TempDir.RawFile("{}", [], declaredLength: 4096), "runs past the end" },
        { "huge length", TempDir.RawFile("{}", [], declaredLength: ulong.MaxValue), "exceeds" },
        { "bad json", TempDir.RawFile("{\"a\":{\"dtype\":", new byte[4]), "not valid JSON" },
        { "not an object", TempDir.RawFile("[1,2]   ", []), "must be a JSON object" },
        { "unknown dtype", TempDir.RawFile("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]), "unsupported dtype 'F8_E4M3'" },
        { "length mismatch", TempDir.RawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]), "needs 8" },
        { "overlap", TempDir.RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]), "overlap" },
        { "gap", TempDir.RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]), "gap" },
        { "truncated data", TempDir.RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[10]), "truncated" },
        { "trailing bytes", TempDir.RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[9]), "belong to no tensor" },
        { "negative dim", TempDir.RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]), "non-negative" },
        { "reversed offsets", TempDir.RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", new byte[4]), "end before they begin" },
        { "bad metadata", TempDir.RawFile("{\"__metadata__\":{\"n\":1}}", []), "must be strings" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void Corrupt_files_are_refused_with_a_message_naming_the_file(string name, byte[] content, string expected)
    {
        using var tmp = new TempDir();
        var path = tmp.File(name.Replace(' ', '_') + ".safetensors");
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<InputException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Equal(path, e.File);
    }

    [Fact]
    public void Truncating_a_real_checkpoint_is_detected()
    {
        using var tmp = new TempDir();
        var raw = File.ReadAllBytes(TestPaths.Fixture("tiny-bert", "model.safetensors"));
        var path = tmp.File("cut.safetensors");
        File.WriteAllBytes(path, raw[..(raw.Length - 100)]);
        var e = Assert.Throws<InputException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("truncated", e.Message);
        Assert.Equal("classifier.weight", LastTensorName(raw));
    }

    private static string LastTensorName(byte[] raw)
    {
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        using var header = JsonDocument.Parse(raw.AsMemory(8, n));
        return header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .MaxBy(p => p.Value.GetProperty("data_offsets")[1].GetInt64()).Name;
    }

    [Fact]
    public void Writer_rejects_inconsistent_entries_before_writing()
    {
        using var tmp = new TempDir();
        var path = tmp.File("x.safetensors");
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [new SafeTensorsEntry("a", SafeTensorsDType.F32, [3], new byte[8])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path,
            [SafeTensorsEntry.FromFloat32("a", [1], [1f]), SafeTensorsEntry.FromFloat32("a", [1], [2f])]));
        Assert.False(File.Exists(path));
    }
}
