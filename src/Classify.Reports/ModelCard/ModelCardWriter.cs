using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core;
using Classify.Core.IO;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Reports.Charts;
using Classify.Reports.RunData;

namespace Classify.Reports.ModelCard;

/// <summary>The files <see cref="ModelCardWriter.Write"/> produced.</summary>
/// <param name="Markdown">model/MODEL_CARD.md</param>
/// <param name="Json">model/model_card.json</param>
public sealed record ModelCardFiles(string Markdown, string Json);

/// <summary>
/// Writes a Hugging Face style model card for a run's model: <c>model/MODEL_CARD.md</c> with YAML front matter
/// (license, language, tags, metrics, model-index results) and sections for the model, training data and splits,
/// preprocessing, hyperparameters, evaluation (metric tables, per-class scores, confusion matrix), intended use
/// and limitations; and <c>model/model_card.json</c> with the same facts. With many labels the card lists the
/// <see cref="ReportLimits.TableLabels"/> most frequent per split and writes every label's scores to
/// <c>model/per_class_&lt;split&gt;.csv</c>; the confusion matrix is included up to <see cref="ReportLimits.ChartLabels"/> labels.
/// </summary>
/// <remarks>
/// Optional config keys it reads: <c>license</c>, <c>language</c>, <c>label_descriptions</c> (label → meaning),
/// <c>model_card.intended_use</c> and <c>model_card.limitations</c> (string or list of strings), and a base model
/// under <c>model_name_or_path</c> / <c>pretrained_model_name_or_path</c> / <c>base_model</c> at any depth.
/// </remarks>
public static class ModelCardWriter
{
    /// <summary>Labels with fewer gold test examples than this are called out as unreliable estimates.</summary>
    public const int SmallSupport = 50;

    /// <summary>Writes model/MODEL_CARD.md and model/model_card.json for the run in <paramref name="runDirectory"/>.</summary>
    /// <exception cref="InputException">The folder is not a run folder or a file in it is malformed.</exception>
    public static ModelCardFiles Write(string runDirectory)
    {
        var run = RunFolder.Load(runDirectory, withPredictions: false);
        var facts = Collect(run, run.LoadManifest());
        var md = Path.Combine(run.Layout.ModelDirectory, "MODEL_CARD.md");
        var json = Path.Combine(run.Layout.ModelDirectory, "model_card.json");
        foreach (var e in facts.Evaluation)
            if (e.PerClassCsv is { } csv)
                PerClassTable.WriteCsv(Path.Combine(run.Layout.ModelDirectory, csv), run.Metrics[e.Split].PerClass);
        AtomicFile.WriteJson(json, facts);
        AtomicFile.WriteAllText(md, ModelCardMarkdown.Render(facts));
        return new ModelCardFiles(md, json);
    }

    internal static ModelCardFacts Collect(RunFolder run, ModelManifest? manifest)
    {
        var info = run.Info;
        var config = info?.Config as JsonObject;
        var descriptions = FindObject(config, "label_descriptions");
        var labels = run.Labels.Select(l => new LabelFact(l, descriptions?[l] is JsonValue v && v.TryGetValue(out string? s) ? s : null)).ToList();

        var evaluation = RunFolder.EvaluationSplits.Where(run.Metrics.ContainsKey).Select(split =>
        {
            var m = run.Metrics[split];
            var listed = PerClassTable.Listed(m.PerClass);
            bool cut = listed.Count < m.PerClass.Count;
            bool smallMatrix = m.Labels.Count <= ReportLimits.ChartLabels;
            return new EvaluationFact
            {
                Split = split,
                N = m.N,
                Metrics = MetricKeys.All.Where(m.Scalars.ContainsKey).ToDictionary(k => k, k => m.Scalars[k]),
                PerClass = listed.Select(c => new PerClassFact(c.Label, c.Precision, c.Recall, c.F1, c.Support)).ToList(),
                PerClassTotal = cut ? m.PerClass.Count : null,
                PerClassCsv = cut ? $"per_class_{split}.csv" : null,
                ConfusionMatrix = smallMatrix && m.Confusion is { } cm ? ToJagged(cm.Collapse(Enumerable.Range(0, cm.LabelCount).ToArray())) : null,
                PerLabelConfusion = smallMatrix ? m.PerLabelConfusion?.Select(ToJagged).ToArray() : null,
            };
        }).ToList();

        return new ModelCardFacts
        {
            Name = run.Name,
            RunId = info?.RunId,
            CreatedUtc = info?.CreatedUtc,
            ClassifyVersion = ClassifyInfo.Version,
            License = FindString(config, "license") ?? "unknown",
            Language = FindString(config, "language"),
            Task = run.Task,
            Engine = manifest?.Engine ?? info?.Engine,
            BaseModel = FindString(config, "model_name_or_path") ?? FindString(config, "pretrained_model_name_or_path") ?? FindString(config, "base_model"),
            Labels = labels,
            Data = info?.Data is { } d ? new DataFact(d.Path, d.Sha256, d.RowsRead, d.RowsUsed, d.EmptyDropped, d.DuplicatesDropped, d.ConflictingDuplicates) : null,
            SplitSizes = info?.SplitSizes,
            ClassCounts = info?.ClassCounts,
            Seed = info?.Seed,
            Preprocessing = Preprocessing(manifest, config),
            DecisionRule = DecisionRuleText(run, manifest),
            Hyperparameters = Flatten(config),
            Evaluation = evaluation,
            Uncertainty = UncertaintyDigest.Of(run, manifest),
            IntendedUse = IntendedUse(run, config),
            Limitations = Limitations(run, config),
            Timings = info?.Timings,
            Versions = info?.Versions,
        };
    }

    private static long[][] ToJagged(long[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(i => Enumerable.Range(0, m.GetLength(1)).Select(j => m[i, j]).ToArray()).ToArray();

    private static List<string> Preprocessing(ModelManifest? manifest, JsonObject? config)
    {
        var steps = new List<string>();
        var cleaning = manifest?.Cleaning;
        if (cleaning == null && FindObject(config, "cleaning") is { } c)
        {
            try { cleaning = c.Deserialize<Classify.Core.Cleaning.CleaningOptions>(AtomicFile.JsonOptions); }
            catch (JsonException) { cleaning = null; }
        }
        if (cleaning is { } o)
        {
            // In the order the cleaner applies them.
            if (o.Html) steps.Add("HTML entities decoded and tags stripped");
            if (o.Urls) steps.Add("URLs removed");
            if (o.Mentions) steps.Add("@mentions removed");
            if (o.Hashtags) steps.Add("#hashtags turned into their word");
            if (o.ControlCharacters) steps.Add("control and format characters removed");
            if (o.Whitespace) steps.Add("whitespace collapsed and trimmed");
            if (o.Elongation) steps.Add("character elongation capped at 2 repeats");
            if (o.Lowercase) steps.Add("lowercased");
            if (o.StopWords) steps.Add("English stop words removed (scikit-learn list)");
            if (o.Stem) steps.Add("Porter stemming");
        }
        if (manifest?.Context is { Turns: > 0 } ctx)
            steps.Add($"{ctx.Turns} preceding conversation turn(s) prepended as context{(ctx.SpeakerTags ? " with speaker tags" : "")}");
        if (steps.Count == 0) steps.Add("none: the model sees the text as written");
        return steps;
    }

    private static string? DecisionRuleText(RunFolder run, ModelManifest? manifest)
    {
        var parts = new List<string>();
        parts.Add(run.IsMultilabel ? "every label whose probability reaches its threshold" : "the most probable label");
        if (manifest?.Thresholds is { } t)
            parts.Add("per-label thresholds: " + ReportLimits.JoinNames(run.Labels.Zip(t, (l, v) => $"{l} {v.ToString("0.###", CultureInfo.InvariantCulture)}").ToList()));
        else if (run.IsMultilabel) parts.Add("threshold 0.5 for every label");
        if (manifest is { Temperature: not 1.0 } m) parts.Add($"calibration temperature {m.Temperature.ToString("0.###", CultureInfo.InvariantCulture)}");
        if (manifest?.LabelTemperatures is { } lt)
            parts.Add("per-label calibration temperatures: " + ReportLimits.JoinNames(run.Labels.Zip(lt, (l, v) => $"{l} {v.ToString("0.###", CultureInfo.InvariantCulture)}").ToList()));
        if (manifest?.Abstain is { } a)
            parts.Add($"abstains (no labels) when the {a.Score} confidence is below {a.Threshold.ToString("0.####", CultureInfo.InvariantCulture)}" +
                      (a.ValidationCoverage is { } c ? $", which kept {c.ToString("P1", CultureInfo.InvariantCulture)} of the validation examples" : ""));
        return string.Join("; ", parts);
    }

    private static List<string> IntendedUse(RunFolder run, JsonObject? config)
    {
        var given = Strings(FindObject(config, "model_card")?["intended_use"]);
        if (given.Count > 0) return given;
        var data = run.Info?.Data?.Path is { } p ? Path.GetFileName(p) : "its training data";
        return
        [
            $"{(run.IsMultilabel ? "Multi-label" : "Single-label")} classification of short texts into the {run.Labels.Count} labels listed above, " +
            $"for text similar to {data}.",
            "Decision support and analysis at scale (triage, routing, monitoring), with a human reviewing consequential decisions.",
        ];
    }

    /// <summary>How many labels a limitation note names before it only counts the rest.</summary>
    private const int NamedInNotes = 10;

    private static List<string> Limitations(RunFolder run, JsonObject? config)
    {
        var notes = Strings(FindObject(config, "model_card")?["limitations"]);
        var inv = CultureInfo.InvariantCulture;
        notes.Add("Scores were measured on held-out splits of the same data set; text from other sources, periods or platforms may score lower.");
        var test = run.Metrics.GetValueOrDefault("test") ?? RunFolder.EvaluationSplits.Where(run.Metrics.ContainsKey).Select(s => run.Metrics[s]).LastOrDefault();
        if (test != null)
        {
            string Some(List<string> items, string what) => items.Count <= NamedInNotes
                ? string.Join(", ", items)
                : $"{items.Count.ToString("N0", inv)} {what} (e.g. {string.Join(", ", items.Take(NamedInNotes))}, …)";
            var small = test.PerClass.Where(c => c.Support < SmallSupport).Select(c => $"{c.Label} (n={c.Support})").ToList();
            if (small.Count > 0)
                notes.Add($"Few {test.Split} examples for {Some(small, "labels")}: their scores are rough estimates.");
            var weak = test.PerClass.Where(c => c.F1 < 0.5).OrderBy(c => c.F1).Select(c => $"{c.Label} (F1 {c.F1.ToString("0.00", inv)})").ToList();
            if (weak.Count > 0) notes.Add($"Weak labels on {test.Split}: {Some(weak, "labels")}. Treat these predictions with care.");
            if (test.PerClass.Count > 1 && test.PerClass.Max(c => c.Support) is > 0 and var max && test.PerClass.Min(c => c.Support) is var min)
            {
                double ratio = min == 0 ? double.PositiveInfinity : (double)max / min;
                if (ratio >= 5) notes.Add($"Imbalanced labels: the most frequent label has {(double.IsInfinity(ratio) ? "all" : ratio.ToString("0", inv) + "×")} the examples of the rarest; macro averages weigh rare labels equally.");
            }
        }
        var val = run.Metrics.GetValueOrDefault("val");
        if (val != null && test != null && val != test && val.Get("macro_f1") is { } v && test.Get("macro_f1") is { } t && v - t > 0.03)
            notes.Add($"Validation macro F1 ({v.ToString("0.000", inv)}) exceeds test ({t.ToString("0.000", inv)}): model selection on validation may have overfit it.");
        if (run.Info?.Data is { ConflictingDuplicates: > 0 } d)
            notes.Add($"{d.ConflictingDuplicates.ToString("N0", inv)} texts occur with different labels in the data: some label noise is built in.");
        notes.Add("The model reproduces patterns, including biases, present in its training labels; it has not been audited for fairness across groups of people.");
        return notes;
    }

    private static List<string> Strings(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) => [s],
        JsonArray a => a.OfType<JsonValue>().Select(x => x.TryGetValue(out string? s) ? s : null).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!).ToList(),
        _ => [],
    };

    /// <summary>The first string value under <paramref name="key"/> anywhere in the config (breadth-first).</summary>
    private static string? FindString(JsonNode? root, string key) =>
        Find(root, key) is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) ? s : null;

    private static JsonObject? FindObject(JsonNode? root, string key) => Find(root, key) as JsonObject;

    private static JsonNode? Find(JsonNode? root, string key)
    {
        var queue = new Queue<JsonNode?>();
        queue.Enqueue(root);
        while (queue.Count > 0)
        {
            if (queue.Dequeue() is not JsonObject o) continue;
            if (o.TryGetPropertyValue(key, out var hit) && hit != null) return hit;
            foreach (var (_, child) in o) queue.Enqueue(child);
        }
        return null;
    }

    /// <summary>The resolved config flattened to dotted keys (model.C = 1), without data locations and card texts.</summary>
    private static Dictionary<string, string> Flatten(JsonObject? config)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonNode? node, string prefix)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                    {
                        if (prefix.Length == 0 && k is "data" or "model_card" or "label_descriptions" or "license" or "language") continue;
                        Walk(v, prefix.Length == 0 ? k : $"{prefix}.{k}");
                    }
                    break;
                case null:
                    result[prefix] = "null";
                    break;
                default:
                    result[prefix] = node is JsonValue jv && jv.TryGetValue(out string? s) ? s : node.ToJsonString();
                    break;
            }
        }
        Walk(config, "");
        return new Dictionary<string, string>(result, StringComparer.Ordinal);
    }
}
