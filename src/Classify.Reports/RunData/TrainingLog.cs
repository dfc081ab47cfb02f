using System.Text.Json;
using Classify.Core.IO;

namespace Classify.Reports.RunData;

/// <summary>
/// <c>log.jsonl</c>: one JSON object per logged step (HF Trainer <c>log_history</c> style). Training rows carry
/// <c>loss</c>/<c>learning_rate</c>; evaluation rows carry <c>eval_*</c> keys. Only numeric values are kept.
/// </summary>
internal sealed class TrainingLog
{
    private TrainingLog(IReadOnlyList<IReadOnlyDictionary<string, double>> entries) => Entries = entries;

    /// <summary>The logged rows in file order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Entries { get; }

    /// <summary>(step, value) pairs of every row that has <paramref name="key"/>; rows without a step use their position.</summary>
    public (double[] Steps, double[] Values) Series(string key)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < Entries.Count; i++)
        {
            var e = Entries[i];
            if (!e.TryGetValue(key, out var y) || !double.IsFinite(y)) continue;
            xs.Add(e.TryGetValue("step", out var s) ? s : i);
            ys.Add(y);
        }
        return (xs.ToArray(), ys.ToArray());
    }

    /// <summary>Every key that appears in at least one row, in first-seen order.</summary>
    public IReadOnlyList<string> Keys => Entries.SelectMany(e => e.Keys).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Reads a log file; blank lines are skipped.</summary>
    public static TrainingLog Load(string path)
    {
        var entries = new List<IReadOnlyDictionary<string, double>>();
        long lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InputException("expected a JSON object", path, lineNumber);
                var row = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var p in doc.RootElement.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.Number) row[p.Name] = p.Value.GetDouble();
                entries.Add(row);
            }
            catch (JsonException e)
            {
                throw new InputException($"malformed JSON: {e.Message}", path, lineNumber, inner: e);
            }
        }
        return new TrainingLog(entries);
    }
}
