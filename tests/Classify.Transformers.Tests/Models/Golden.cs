using System.Text.Json;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Models;

/// <summary>Reads a fixture's golden.json (see /work/shared/fixtures/README.md §3.2).</summary>
internal sealed class Golden
{
    private Golden(string name, JsonElement root)
    {
        Name = name;
        Root = root;
    }

    public string Name { get; }
    public string Directory => TestPaths.Fixture(Name);
    public JsonElement Root { get; }

    public static Golden Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Fixture(name), "golden.json")));
        return new Golden(name, doc.RootElement.Clone());
    }

    public JsonElement this[string path]
    {
        get
        {
            var e = Root;
            foreach (var part in path.Split('.')) e = e.GetProperty(part);
            return e;
        }
    }

    public bool Has(string path)
    {
        var e = Root;
        foreach (var part in path.Split('.'))
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e)) return false;
        return true;
    }

    /// <summary>A nested JSON number list as a tensor of its shape.</summary>
    public Tensor Tensor(string path, ScalarType dtype) => ToTensor(this[path], dtype);

    public static Tensor ToTensor(JsonElement e, ScalarType dtype)
    {
        var shape = new List<long>();
        for (var x = e; x.ValueKind == JsonValueKind.Array; x = x[0]) shape.Add(x.GetArrayLength());
        var values = new List<double>();
        Flatten(e, values);
        using var t = tensor(values.ToArray(), shape.ToArray(), ScalarType.Float64);
        return t.to_type(dtype);
    }

    private static void Flatten(JsonElement e, List<double> into)
    {
        if (e.ValueKind == JsonValueKind.Array)
            foreach (var x in e.EnumerateArray()) Flatten(x, into);
        else into.Add(e.GetDouble());
    }

    public Tensor InputIds => Tensor("encoding.input_ids", ScalarType.Int64);
    public Tensor AttentionMask => Tensor("encoding.attention_mask", ScalarType.Int64);
    public Tensor? TokenTypeIds => Has("encoding.token_type_ids") ? Tensor("encoding.token_type_ids", ScalarType.Int64) : null;
    public bool IsMultiLabel => this["labels"][0].ValueKind == JsonValueKind.Array;
    public Tensor Labels => Tensor("labels", IsMultiLabel ? ScalarType.Float32 : ScalarType.Int64);
    public double Double(string path) => this[path].GetDouble();

    /// <summary>Max |a − b| over all elements, in float64.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }
}
