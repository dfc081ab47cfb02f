using System.Globalization;
using System.Text;
using Classify.Core.Metrics;
using Classify.Reports.RunData;

namespace Classify.Reports.ModelCard;

/// <summary>Renders <see cref="ModelCardFacts"/> as a Hugging Face style MODEL_CARD.md.</summary>
internal static class ModelCardMarkdown
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Metrics listed in the model-index results, with their HF metric type and averaging.</summary>
    private static readonly (string Key, string Type, string? Average)[] IndexMetrics =
    [
        (MetricKeys.Accuracy, "accuracy", null),
        (MetricKeys.MacroF1, "f1", "macro"),
        (MetricKeys.MicroF1, "f1", "micro"),
        (MetricKeys.WeightedF1, "f1", "weighted"),
        (MetricKeys.MacroPrecision, "precision", "macro"),
        (MetricKeys.MacroRecall, "recall", "macro"),
        (MetricKeys.RocAucMacro, "roc_auc", "macro"),
    ];

    public static string Render(ModelCardFacts f)
    {
        var md = new StringBuilder();
        FrontMatter(md, f);
        md.Append("# ").Append(f.Name).Append("\n\n");
        var headline = f.Evaluation.FirstOrDefault(e => e.Split == "test") ?? f.Evaluation.FirstOrDefault();
        md.Append($"A {TaskPhrase(f.Task)} text classifier over {f.Labels.Count} labels, trained with Classify {f.ClassifyVersion}")
            .Append(f.Engine != null ? $" ({f.Engine} engine)" : "").Append('.');
        if (headline?.Metrics.GetValueOrDefault("macro_f1") is { } mf1)
            md.Append($" Macro F1 on the {headline.Split} split: **{mf1.ToString("0.000", Inv)}**");
        if (headline?.Metrics.GetValueOrDefault("accuracy") is { } acc)
            md.Append($", {(f.Task == "multilabel" ? "subset accuracy" : "accuracy")} **{acc.ToString("0.000", Inv)}**");
        md.Append(headline != null ? ".\n\n" : "\n\n");

        md.Append("## Model description\n\n");
        md.Append($"- **Task:** {TaskPhrase(f.Task)} classification ({f.Task})\n");
        if (f.Engine != null) md.Append($"- **Engine:** {f.Engine}\n");
        if (f.BaseModel != null) md.Append($"- **Base model:** `{f.BaseModel}`\n");
        if (f.Language != null) md.Append($"- **Language:** {f.Language}\n");
        md.Append($"- **License:** {f.License}\n");
        if (f.RunId != null) md.Append($"- **Run:** `{f.RunId}`{(f.CreatedUtc is { } c ? $", {c.ToString("yyyy-MM-dd", Inv)}" : "")}\n");
        md.Append("\n### Labels\n\n");
        bool anyDescription = f.Labels.Any(l => l.Description != null);
        if (f.Labels.Count <= ReportLimits.TableLabels)
            Table(md, anyDescription ? ["#", "Label", "Meaning"] : ["#", "Label"],
                f.Labels.Select((l, i) => anyDescription
                    ? new[] { i.ToString(Inv), l.Name, l.Description ?? "" }
                    : new[] { i.ToString(Inv), l.Name }));
        else
        {
            // Thousands of labels: names in one paragraph (model_card.json lists them all), described ones in a table.
            md.Append($"{f.Labels.Count.ToString("N0", Inv)} labels, in index order: ")
                .Append(Cell(ReportLimits.JoinNames(f.Labels.Select(l => l.Name).ToList()))).Append(". `model_card.json` lists every label.\n\n");
            if (anyDescription)
                Table(md, ["#", "Label", "Meaning"], f.Labels.Select((l, i) => (l, i)).Where(x => x.l.Description != null).Take(ReportLimits.TableLabels)
                    .Select(x => new[] { x.i.ToString(Inv), x.l.Name, x.l.Description! }));
        }

        md.Append("## Training data\n\n");
        if (f.Data is { } d)
        {
            md.Append($"- **File:** `{d.Path}`\n");
            if (d.Sha256 != null) md.Append($"- **SHA-256:** `{d.Sha256}`\n");
            md.Append($"- **Rows:** {d.RowsUsed.ToString("N0", Inv)} used of {d.RowsRead.ToString("N0", Inv)} read " +
                      $"({d.EmptyDropped.ToString("N0", Inv)} empty and {d.DuplicatesDropped.ToString("N0", Inv)} duplicate rows dropped; " +
                      $"{d.ConflictingDuplicates.ToString("N0", Inv)} texts with conflicting labels kept)\n");
        }
        if (f.Seed is { } seed) md.Append($"- **Split seed:** {seed}\n");
        md.Append('\n');
        if (f.ClassCounts is { Count: > 0 } counts)
        {
            var splits = counts.Keys.OrderBy(k => k switch { "train" => 0, "val" => 1, "test" => 2, _ => 3 }).ToList();
            var header = new List<string> { "Label" };
            header.AddRange(splits.Select(s => f.SplitSizes != null && f.SplitSizes.TryGetValue(s, out var n) ? $"{s} (n={n.ToString("N0", Inv)})" : s));
            // Up to TableLabels labels; beyond, the most frequent ones and one row summing the others.
            var totals = f.Labels.Select(l => splits.Sum(s => (long)counts[s].GetValueOrDefault(l.Name))).ToArray();
            var keep = ReportLimits.Top(totals, f.Labels.Count <= ReportLimits.TableLabels ? ReportLimits.TableLabels : ReportLimits.TableLabels - 1);
            var rows = keep.Select(k =>
            {
                var row = new List<string> { f.Labels[k].Name };
                row.AddRange(splits.Select(s => counts[s].TryGetValue(f.Labels[k].Name, out var n) ? n.ToString("N0", Inv) : "0"));
                return row.ToArray();
            }).ToList();
            if (keep.Length < f.Labels.Count)
            {
                var kept = keep.Select(k => f.Labels[k].Name).ToHashSet(StringComparer.Ordinal);
                var other = new List<string> { $"*other {(f.Labels.Count - keep.Length).ToString("N0", Inv)} labels*" };
                other.AddRange(splits.Select(s => counts[s].Where(kv => !kept.Contains(kv.Key)).Sum(kv => (long)kv.Value).ToString("N0", Inv)));
                rows.Add(other.ToArray());
                md.Append($"Examples per label: the {keep.Length} most frequent of {f.Labels.Count.ToString("N0", Inv)} labels (`model_card.json` has every count).\n\n");
            }
            Table(md, header, rows);
        }
        else if (f.SplitSizes is { Count: > 0 } sizes)
            Table(md, ["Split", "Examples"], sizes.Select(kv => new[] { kv.Key, kv.Value.ToString("N0", Inv) }));

        md.Append("## Preprocessing\n\n");
        foreach (var step in f.Preprocessing) md.Append("- ").Append(step).Append('\n');
        if (f.DecisionRule != null) md.Append($"\n**Decision rule:** {f.DecisionRule}.\n");
        md.Append('\n');

        md.Append("## Model and hyperparameters\n\n");
        if (f.Hyperparameters.Count == 0) md.Append("The run recorded no configuration.\n\n");
        else Table(md, ["Parameter", "Value"], f.Hyperparameters.Select(kv => new[] { $"`{kv.Key}`", kv.Value }));

        md.Append("## Evaluation\n\n");
        if (f.Evaluation.Count == 0) md.Append("The run has no metrics.\n\n");
        else Evaluation(md, f);

        if (f.Uncertainty is { } u)
        {
            md.Append("## Uncertainty and selective prediction\n\n");
            md.Append("Rejecting the most uncertain predictions first should raise the score of those kept; `random` is the baseline and `oracle` ")
              .Append("the best any ranking can do (docs/uncertainty.md).\n\n```\n");
            foreach (var line in u.Lines()) md.Append(line).Append('\n');
            md.Append("```\n\n");
        }

        md.Append("## Intended use\n\n");
        foreach (var s in f.IntendedUse) md.Append("- ").Append(s).Append('\n');
        md.Append("\n## Limitations and biases\n\n");
        foreach (var s in f.Limitations) md.Append("- ").Append(s).Append('\n');

        md.Append("\n## Reproducibility\n\n");
        if (f.Versions is { Count: > 0 } v) md.Append("- **Versions:** ").Append(string.Join(", ", v.Select(kv => $"{kv.Key} {kv.Value}"))).Append('\n');
        if (f.Timings is { Count: > 0 } t) md.Append("- **Timings:** ").Append(string.Join(", ", t.Select(kv => $"{kv.Key} {kv.Value.ToString("0.0", Inv)}"))).Append('\n');
        md.Append("- The same facts are in `model_card.json`; the full run (config, splits, predictions, plots) is the run folder this model came from.\n");
        return md.ToString();
    }

    private static void Evaluation(StringBuilder md, ModelCardFacts f)
    {
        var splits = f.Evaluation.Select(e => e.Split).ToList();
        var keys = MetricKeys.All.Where(k => f.Evaluation.Any(e => e.Metrics.ContainsKey(k))).ToList();
        var header = new List<string> { "Metric" };
        header.AddRange(f.Evaluation.Select(e => $"{e.Split} (n={e.N.ToString("N0", Inv)})"));
        Table(md, header, keys.Select(k =>
        {
            var row = new List<string> { k };
            row.AddRange(f.Evaluation.Select(e => e.Metrics.TryGetValue(k, out var v) && v is { } x ? x.ToString("0.0000", Inv) : "—"));
            return row.ToArray();
        }));

        var main = f.Evaluation.FirstOrDefault(e => e.Split == "test") ?? f.Evaluation[^1];
        md.Append($"### Per-class scores ({main.Split})\n\n");
        if (main.PerClassTotal is { } total)
            md.Append($"The {main.PerClass.Count} labels with the most {main.Split} examples of the {total.ToString("N0", Inv)} with examples or predictions; " +
                      $"every label is in `{main.PerClassCsv}` beside this card.\n\n");
        Table(md, ["Label", "Precision", "Recall", "F1", "Support"], main.PerClass.Select(c => new[]
        {
            c.Label, c.Precision.ToString("0.000", Inv), c.Recall.ToString("0.000", Inv), c.F1.ToString("0.000", Inv), c.Support.ToString("N0", Inv),
        }));

        if (main.ConfusionMatrix is { } cm)
        {
            md.Append($"### Confusion matrix ({main.Split})\n\nRows are true labels, columns predicted labels.\n\n");
            var names = f.Labels.Select(l => l.Name).ToList();
            var head = new List<string> { "true \\ predicted" };
            head.AddRange(names);
            Table(md, head, cm.Select((row, i) =>
            {
                var cells = new List<string> { $"**{(i < names.Count ? names[i] : i.ToString(Inv))}**" };
                cells.AddRange(row.Select(x => x.ToString(Inv)));
                return cells.ToArray();
            }));
        }
        else if (f.Task != "multilabel" && f.Labels.Count > ReportLimits.ChartLabels)
            md.Append($"The {main.Split} confusion matrix of {f.Labels.Count.ToString("N0", Inv)} labels is not shown; its non-zero cells are " +
                      $"`metrics/{main.Split}_confusion.csv` in the run folder.\n\n");
        else if (main.PerLabelConfusion is { } pl)
        {
            md.Append($"### Per-label confusion ({main.Split})\n\n");
            Table(md, ["Label", "TP", "FP", "FN", "TN"], pl.Select((m, i) => new[]
            {
                i < f.Labels.Count ? f.Labels[i].Name : i.ToString(Inv), m[1][1].ToString(Inv), m[0][1].ToString(Inv), m[1][0].ToString(Inv), m[0][0].ToString(Inv),
            }));
        }
    }

    private static void FrontMatter(StringBuilder md, ModelCardFacts f)
    {
        md.Append("---\n");
        md.Append("license: ").Append(Yaml(f.License)).Append('\n');
        if (f.Language != null) md.Append("language:\n- ").Append(Yaml(f.Language)).Append('\n');
        md.Append("library_name: classify\npipeline_tag: text-classification\n");
        if (f.BaseModel != null) md.Append("base_model: ").Append(Yaml(f.BaseModel)).Append('\n');
        md.Append("tags:\n- text-classification\n- classify\n");
        md.Append("- ").Append(f.Task == "multilabel" ? "multi-label-classification" : f.Task == "binary" ? "binary-classification" : "multi-class-classification").Append('\n');
        if (f.Engine != null) md.Append("- ").Append(Yaml(f.Engine)).Append('\n');
        md.Append("metrics:\n- accuracy\n- f1\n- precision\n- recall\n");
        md.Append("model-index:\n- name: ").Append(Yaml(f.Name)).Append("\n  results:\n");
        foreach (var e in f.Evaluation)
        {
            md.Append("  - task:\n      type: text-classification\n      name: Text Classification\n");
            md.Append("    dataset:\n      name: ").Append(Yaml(f.Data != null ? Path.GetFileName(f.Data.Path) : f.Name)).Append('\n');
            md.Append("      type: ").Append(Yaml(f.Data?.Path ?? "local")).Append('\n');
            md.Append("      split: ").Append(Yaml(e.Split == "val" ? "validation" : e.Split)).Append('\n');
            md.Append("    metrics:\n");
            foreach (var (key, type, average) in IndexMetrics)
            {
                if (!e.Metrics.TryGetValue(key, out var v) || v is not { } value) continue;
                md.Append("    - type: ").Append(type).Append('\n')
                  .Append("      value: ").Append(value.ToString("0.####", Inv)).Append('\n')
                  .Append("      name: ").Append(Yaml(key == MetricKeys.Accuracy && f.Task == "multilabel" ? "Subset accuracy" : MetricKeys.DisplayName(key))).Append('\n');
                if (average != null) md.Append("      args:\n        average: ").Append(average).Append('\n');
            }
        }
        md.Append("---\n\n");
    }

    /// <summary>A YAML scalar: plain when safe, double-quoted (with escapes) otherwise.</summary>
    internal static string Yaml(string value)
    {
        bool plain = value.Length > 0 && value.All(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' or '/' or ' ')
                     && !char.IsWhiteSpace(value[0]) && !char.IsWhiteSpace(value[^1]) && value[0] is not ('-' or '.')
                     && !double.TryParse(value, NumberStyles.Float, Inv, out _)
                     && value.ToLowerInvariant() is not ("true" or "false" or "null" or "yes" or "no" or "on" or "off" or "~");
        if (plain) return value;
        var sb = new StringBuilder("\"");
        foreach (var ch in value)
        {
            sb.Append(ch switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(ch) => $"\\u{(int)ch:x4}",
                _ => ch.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    private static void Table(StringBuilder md, IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        md.Append("| ").Append(string.Join(" | ", header.Select(Cell))).Append(" |\n");
        md.Append('|').Append(string.Concat(header.Select(_ => " --- |"))).Append('\n');
        foreach (var row in rows) md.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
        md.Append('\n');
    }

    /// <summary>A table cell: pipes escaped, line breaks flattened.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

    private static string TaskPhrase(string task) => task switch
    {
        "multilabel" => "multi-label",
        "binary" => "binary",
        _ => "multi-class",
    };
}
