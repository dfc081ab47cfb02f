using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Reports.Charts;

namespace Classify.Reports.Tests.Reports;

/// <summary>
/// Builds realistic run folders in the documented formats: run.json, metrics/{val,test}.json (metrics computed
/// from the predictions with the scikit-learn definitions), predictions/{val,test}.csv and log.jsonl.
/// </summary>
internal static class SyntheticRun
{
    public static readonly string[] Sentiment = ["negative", "neutral", "positive"];

    public static readonly string[] GoEmotions =
    [
        "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity", "desire",
        "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear", "gratitude", "grief", "joy",
        "love", "nervousness", "optimism", "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
    ];

    private static readonly string[] Words =
    [
        "the", "movie", "was", "great", "awful", "not", "really", "so", "happy", "sad", "today", "service", "food", "love",
        "hate", "why", "would", "anyone", "thanks", "wow", "meh", "okay", "best", "worst", "ever", "team", "game",
    ];

    /// <summary>A 3-class sentiment run (val and test of <paramref name="rows"/> rows each).</summary>
    public static string Sentiment3(string root, int rows = 600, bool withLog = true, string name = "sentiment-3", double skill = 1.6, int seed = 1)
    {
        var dir = Path.Combine(root, name);
        var rng = new Random(seed);
        double[] prior = [0.3, 0.45, 0.25];
        foreach (var split in new[] { "val", "test" })
        {
            var gold = new bool[rows * 3];
            var probs = new double[rows * 3];
            for (int i = 0; i < rows; i++)
            {
                int g = Draw(rng, prior);
                gold[i * 3 + g] = true;
                var logits = new double[3];
                for (int k = 0; k < 3; k++) logits[k] = Gaussian(rng) + (k == g ? skill : 0) + (k == 1 ? 0.3 : 0);
                double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
                for (int k = 0; k < 3; k++) probs[i * 3 + k] = Math.Exp(logits[k] - max) / sum;
            }
            var pred = new bool[rows * 3];
            for (int i = 0; i < rows; i++) pred[i * 3 + ArgMax(probs.AsSpan(i * 3, 3))] = true;
            WriteSplit(dir, split, Sentiment, multilabel: false, gold, pred, probs, rng);
        }
        WriteRunJson(dir, name, "multiclass", Sentiment, "linear", rows, rng);
        if (withLog) WriteLog(dir, 600, ["eval_macro_f1", "eval_accuracy"]);
        return dir;
    }

    /// <summary>A 28-label multi-label run (GoEmotions label names) with <paramref name="testRows"/> test rows.</summary>
    public static string GoEmotions28(string root, int testRows = 5000, int valRows = 1000, string name = "goemotions-28")
    {
        var dir = Path.Combine(root, name);
        var rng = new Random(7);
        int k = GoEmotions.Length;
        // Zipf-like label frequencies, "neutral" the most common as in GoEmotions.
        var prior = Enumerable.Range(0, k).Select(j => j == k - 1 ? 0.3 : 0.16 / Math.Pow(j + 1, 0.7)).ToArray();
        foreach (var (split, rows) in new[] { ("val", valRows), ("test", testRows) })
        {
            var gold = new bool[rows * k];
            var probs = new double[rows * k];
            for (int i = 0; i < rows; i++)
            {
                bool any = false;
                for (int j = 0; j < k; j++) if (rng.NextDouble() < prior[j]) { gold[i * k + j] = true; any = true; }
                if (!any) gold[i * k + Draw(rng, prior)] = true;
                for (int j = 0; j < k; j++)
                {
                    // Frequent labels are learnt better; a few labels are confused with their neighbour.
                    double signal = gold[i * k + j] ? 2.2 - 0.05 * j : -2.6;
                    if (j > 0 && gold[i * k + j - 1] && j % 5 == 0) signal += 1.8;
                    probs[i * k + j] = 1 / (1 + Math.Exp(-(signal + 1.1 * Gaussian(rng))));
                }
            }
            var pred = probs.Select(p => p >= 0.5).ToArray();
            WriteSplit(dir, split, GoEmotions, multilabel: true, gold, pred, probs, rng);
        }
        WriteRunJson(dir, name, "multilabel", GoEmotions, "transformer", testRows, rng);
        WriteLog(dir, 1200, ["eval_macro_f1", "eval_micro_f1"]);
        return dir;
    }

    private static void WriteSplit(string dir, string split, string[] labels, bool multilabel, bool[] gold, bool[] pred, double[] probs, Random rng)
    {
        int k = labels.Length, n = gold.Length / k;
        var layout = new RunLayout(dir);
        AtomicFile.WriteText(layout.Predictions(split), w =>
        {
            w.Write("id,text,gold,pred," + string.Join(",", labels.Select(l => "p_" + l)) + "\n");
            for (int i = 0; i < n; i++)
            {
                string Names(bool[] m) => string.Join("|", Enumerable.Range(0, k).Where(j => m[i * k + j]).Select(j => labels[j]));
                var text = i % 97 == 3
                    ? "He said \"<script>alert('x')</script>\", & then\nleft, see http://example.com/x"
                    : string.Join(' ', Enumerable.Range(0, 4 + rng.Next(12)).Select(_ => Words[rng.Next(Words.Length)]));
                var fields = new List<string> { $"{split}-{i}", text, Names(gold), Names(pred) };
                fields.AddRange(Enumerable.Range(0, k).Select(j => probs[i * k + j].ToString("R", CultureInfo.InvariantCulture)));
                w.Write(string.Join(",", fields.Select(Quote)) + "\n");
            }
        });
        AtomicFile.WriteAllText(layout.Metrics(split), MetricsJson(split, labels, multilabel, gold, pred, probs).ToJsonString(AtomicFile.JsonOptions));
    }

    private static string Quote(string v) => v.AsSpan().IndexOfAny(",\"\n\r") < 0 ? v : "\"" + v.Replace("\"", "\"\"") + "\"";

    /// <summary>Metrics JSON of the documented shape, computed with the scikit-learn definitions (zero_division = 0).</summary>
    public static JsonObject MetricsJson(string split, string[] labels, bool multilabel, bool[] gold, bool[] pred, double[] probs)
    {
        int k = labels.Length, n = gold.Length / k;
        var tp = new double[k];
        var fp = new double[k];
        var fn = new double[k];
        var support = new double[k];
        int exact = 0;
        for (int i = 0; i < n; i++)
        {
            bool same = true;
            for (int j = 0; j < k; j++)
            {
                bool g = gold[i * k + j], p = pred[i * k + j];
                if (g) support[j]++;
                if (g && p) tp[j]++; else if (p) fp[j]++; else if (g) fn[j]++;
                if (g != p) same = false;
            }
            if (same) exact++;
        }
        double Div(double a, double b) => b == 0 ? 0 : a / b;
        var precision = Enumerable.Range(0, k).Select(j => Div(tp[j], tp[j] + fp[j])).ToArray();
        var recall = Enumerable.Range(0, k).Select(j => Div(tp[j], tp[j] + fn[j])).ToArray();
        var f1 = Enumerable.Range(0, k).Select(j => Div(2 * tp[j], 2 * tp[j] + fp[j] + fn[j])).ToArray();
        double totalSupport = support.Sum();
        double Weighted(double[] v) => Div(Enumerable.Range(0, k).Sum(j => v[j] * support[j]), totalSupport);
        double microP = Div(tp.Sum(), tp.Sum() + fp.Sum()), microR = Div(tp.Sum(), tp.Sum() + fn.Sum());
        var perClass = new JsonObject();
        var rocs = new List<double>();
        var aps = new List<double>();
        for (int j = 0; j < k; j++)
        {
            var col = Enumerable.Range(0, n).Select(i => gold[i * k + j]).ToArray();
            var scores = Enumerable.Range(0, n).Select(i => probs[i * k + j]).ToArray();
            var roc = CurveMath.Roc(col, scores);
            var pr = CurveMath.PrecisionRecall(col, scores);
            if (roc != null) rocs.Add(roc.Area);
            if (pr != null) aps.Add(pr.Area);
            perClass[labels[j]] = new JsonObject
            {
                ["precision"] = precision[j], ["recall"] = recall[j], ["f1"] = f1[j], ["support"] = (int)support[j],
                ["roc_auc"] = roc?.Area, ["pr_auc"] = pr?.Area,
            };
        }
        double logLoss = 0;
        for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++)
        {
            double p = Math.Clamp(probs[i * k + j], 1e-15, 1 - 1e-15);
            if (multilabel) logLoss -= gold[i * k + j] ? Math.Log(p) : Math.Log(1 - p);
            else if (gold[i * k + j]) logLoss -= Math.Log(p);
        }
        logLoss /= multilabel ? n * k : n;
        var o = new JsonObject
        {
            ["split"] = split, ["task"] = multilabel ? "multilabel" : "multiclass", ["labels"] = new JsonArray(labels.Select(l => (JsonNode)l!).ToArray()),
            ["n"] = n, ["accuracy"] = (double)exact / n,
            ["macro_f1"] = f1.Average(), ["micro_f1"] = Div(2 * microP * microR, microP + microR), ["weighted_f1"] = Weighted(f1),
        };
        if (multilabel) o["samples_f1"] = Enumerable.Range(0, n).Average(i =>
        {
            int t = 0, g = 0, p = 0;
            for (int j = 0; j < k; j++) { if (gold[i * k + j]) g++; if (pred[i * k + j]) p++; if (gold[i * k + j] && pred[i * k + j]) t++; }
            return g + p == 0 ? 0 : 2.0 * t / (g + p);
        });
        o["macro_precision"] = precision.Average();
        o["macro_recall"] = recall.Average();
        o["micro_precision"] = microP;
        o["micro_recall"] = microR;
        o["weighted_precision"] = Weighted(precision);
        o["weighted_recall"] = Weighted(recall);
        o["roc_auc_macro"] = rocs.Count > 0 ? rocs.Average() : null;
        o["pr_auc_macro"] = aps.Count > 0 ? aps.Average() : null;
        o["log_loss"] = logLoss;
        o["brier_score"] = 0.1;
        if (multilabel) o["hamming_loss"] = Div(fp.Sum() + fn.Sum(), n * k);
        o["per_class"] = perClass;
        if (multilabel)
        {
            var perLabel = new JsonArray();
            for (int j = 0; j < k; j++)
                perLabel.Add(new JsonArray(new JsonArray(n - tp[j] - fp[j] - fn[j], fp[j]), new JsonArray(fn[j], tp[j])));
            o["confusion_matrix"] = new JsonObject { ["labels"] = new JsonArray(labels.Select(l => (JsonNode)l!).ToArray()), ["per_label"] = perLabel };
        }
        else
        {
            var matrix = new long[k, k];
            for (int i = 0; i < n; i++)
            {
                int g = Enumerable.Range(0, k).First(j => gold[i * k + j]), p = Enumerable.Range(0, k).First(j => pred[i * k + j]);
                matrix[g, p]++;
            }
            var rowsJson = new JsonArray();
            for (int i = 0; i < k; i++) rowsJson.Add(new JsonArray(Enumerable.Range(0, k).Select(j => (JsonNode)matrix[i, j]).ToArray()));
            o["confusion_matrix"] = new JsonObject { ["labels"] = new JsonArray(labels.Select(l => (JsonNode)l!).ToArray()), ["matrix"] = rowsJson };
        }
        return o;
    }

    private static void WriteRunJson(string dir, string name, string task, string[] labels, string engine, int testRows, Random rng)
    {
        var layout = new RunLayout(dir);
        int train = testRows * 14 / 3;
        var counts = new Dictionary<string, IReadOnlyDictionary<string, int>>();
        foreach (var split in new[] { "val", "test" }) counts[split] = CountGold(layout.Predictions(split), labels);
        var testCounts = counts["test"];
        counts["train"] = labels.ToDictionary(l => l, l => (int)Math.Round(testCounts.GetValueOrDefault(l) * 14.0 / 3 * (0.95 + 0.1 * rng.NextDouble())));
        var info = new RunInfo
        {
            Name = name, RunId = $"{name}-20250101T000000Z", Status = "completed",
            CreatedUtc = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc), FinishedUtc = new DateTime(2025, 1, 1, 0, 12, 30, DateTimeKind.Utc),
            Seed = 42, Task = task, Labels = labels, Engine = engine,
            Config = JsonNode.Parse($$"""
                {"data": {"path": "data/{{name}}.csv", "text_column": "text", "label_column": "label"},
                 "task": "{{task}}", "seed": 42, "split": {"train": 0.7, "val": 0.15, "test": 0.15},
                 "cleaning": {"lowercase": true, "urls": true, "whitespace": true},
                 "model": {"engine": "{{engine}}", "C": 1.0, "ngram_range": [1, 2], "learning_rate": 2e-5},
                 "license": "mit",
                 "label_descriptions": {"{{labels[0]}}": "The text expresses {{labels[0]}}."} }
                """),
            Data = new RunDataInfo
            {
                Path = $"data/{name}.csv", Sha256 = "9f2c" + new string('a', 60), RowsRead = train + 2 * testRows + 17, RowsUsed = train + 2 * testRows,
                EmptyDropped = 5, DuplicatesDropped = 12, ConflictingDuplicates = 3,
            },
            SplitSizes = new Dictionary<string, int> { ["train"] = train, ["val"] = CountRows(layout.Predictions("val")), ["test"] = testRows },
            ClassCounts = counts,
            Versions = RunInfo.CurrentVersions(),
            Timings = new Dictionary<string, double> { ["total_seconds"] = 750.2, ["load_seconds"] = 1.3, ["train_seconds"] = 700.5, ["eval_seconds"] = 40.1 },
        };
        info.Save(layout);
    }

    private static int CountRows(string predictions) => Csv(predictions).Count;

    private static Dictionary<string, int> CountGold(string predictions, string[] labels)
    {
        var c = labels.ToDictionary(l => l, _ => 0);
        foreach (var row in Csv(predictions))
            foreach (var l in row[2]!.Split('|', StringSplitOptions.RemoveEmptyEntries)) c[l]++;
        return c;
    }

    private static IReadOnlyList<DataRecord> Csv(string path) => CsvTable.Read(path).Rows;

    private static void WriteLog(string dir, int steps, string[] evalKeys)
    {
        var sb = new StringBuilder();
        for (int step = 25; step <= steps; step += 25)
        {
            double progress = (double)step / steps;
            double lr = progress < 0.1 ? 2e-5 * progress / 0.1 : 2e-5 * (1 - progress) / 0.9;
            sb.Append(JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["step"] = step, ["epoch"] = 3 * progress, ["loss"] = 0.35 + 0.8 * Math.Exp(-4 * progress) + 0.03 * Math.Sin(step),
                ["learning_rate"] = lr, ["grad_norm"] = 2 + Math.Cos(step),
            })).Append('\n');
            if (step % 200 == 0)
            {
                var row = new Dictionary<string, double> { ["step"] = step, ["epoch"] = 3 * progress, ["eval_loss"] = 0.5 + 0.6 * Math.Exp(-3 * progress) };
                for (int i = 0; i < evalKeys.Length; i++) row[evalKeys[i]] = 0.45 + 0.25 * (1 - Math.Exp(-3 * progress)) + 0.05 * i;
                row["eval_runtime"] = 4.2;
                sb.Append(JsonSerializer.Serialize(row)).Append('\n');
            }
        }
        AtomicFile.WriteAllText(new RunLayout(dir).LogJsonl, sb.ToString());
    }

    private static int Draw(Random rng, double[] weights)
    {
        double u = rng.NextDouble() * weights.Sum();
        for (int i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u <= 0) return i;
        }
        return weights.Length - 1;
    }

    private static int ArgMax(ReadOnlySpan<double> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    internal static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
