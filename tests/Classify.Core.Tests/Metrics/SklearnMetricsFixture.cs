using System.Text.Json;
using Classify.Core.Metrics;

namespace Classify.Core.Tests.Metrics;

/// <summary>
/// Loads <c>fixtures/sklearn/metrics.json</c> (scikit-learn 1.2.1 on 200 fixed predictions) and computes the C# value
/// of every metric it holds, keyed by the fixture path (e.g. <c>multiclass/per_class/f1</c>).
/// </summary>
internal static class SklearnMetricsFixture
{
    private static readonly Lazy<JsonElement> Root = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("sklearn", "metrics.json"))).RootElement);

    // Inputs and descriptions, not metrics.
    private static readonly HashSet<string> NotMetrics = new(StringComparer.Ordinal)
    {
        "n_samples", "n_classes", "n_labels", "y_true", "y_score", "y_pred", "zero_division",
        "n_rows_all_zero_true", "n_rows_all_zero_pred", "n_rows_all_zero_both",
    };

    public static JsonElement Json => Root.Value;

    public static int[] MulticlassTrue => Ints(Json.GetProperty("multiclass").GetProperty("y_true"));
    public static int[] MulticlassPred => Ints(Json.GetProperty("multiclass").GetProperty("y_pred"));
    public static double[][] MulticlassScore => Matrix(Json.GetProperty("multiclass").GetProperty("y_score"));
    public static bool[][] MultilabelTrue => BoolMatrix(Json.GetProperty("multilabel").GetProperty("y_true"));
    public static bool[][] MultilabelPred => BoolMatrix(Json.GetProperty("multilabel").GetProperty("y_pred"));
    public static double[][] MultilabelScore => Matrix(Json.GetProperty("multilabel").GetProperty("y_score"));

    /// <summary>Every numeric entry of the multiclass and multilabel sections, as slash-separated paths.</summary>
    public static IEnumerable<string> MetricPaths()
    {
        foreach (var section in new[] { "multiclass", "multilabel" })
            foreach (var path in Leaves(Json.GetProperty(section), section))
                yield return path;
    }

    public static JsonElement Expected(string path)
    {
        var e = Json;
        foreach (var part in path.Split('/')) e = e.GetProperty(part);
        return e;
    }

    /// <summary>The C# value for a fixture path: a double, a double?, an int, or (nested) arrays of them.</summary>
    public static object Actual(string path) => Computed.Value.TryGetValue(path, out var f) ? f()
        : throw new KeyNotFoundException($"No C# computation registered for fixture entry '{path}'.");

    private static readonly Lazy<Dictionary<string, Func<object>>> Computed = new(BuildComputations);

    private static Dictionary<string, Func<object>> BuildComputations()
    {
        var d = new Dictionary<string, Func<object>>(StringComparer.Ordinal);
        int[] yt = MulticlassTrue, yp = MulticlassPred;
        double[][] ys = MulticlassScore;
        const int K = 3;
        var oneHot = ClassificationMetrics.OneHot(yt, K);
        const string mc = "multiclass/";
        d[mc + "accuracy"] = () => ClassificationMetrics.AccuracyScore(yt, yp);
        d[mc + "balanced_accuracy"] = () => ClassificationMetrics.BalancedAccuracyScore(yt, yp, K);
        d[mc + "matthews_corrcoef"] = () => ClassificationMetrics.MatthewsCorrCoef(yt, yp, K);
        d[mc + "cohen_kappa"] = () => ClassificationMetrics.CohenKappaScore(yt, yp, K);
        d[mc + "confusion_matrix"] = () => ClassificationMetrics.ConfusionMatrix(yt, yp, K);
        AddPerClass(d, mc + "per_class/", () => ClassificationMetrics.PrecisionRecallFScoreSupport(yt, yp, K));
        foreach (var (name, avg) in Averages(samples: false))
            AddAverage(d, mc + name + "/", () => ClassificationMetrics.PrecisionRecallFScore(yt, yp, K, avg));
        d[mc + "roc_auc_ovr_per_class"] = () => ClassificationMetrics.RocAucScorePerLabel(oneHot, ys);
        d[mc + "roc_auc_ovr_macro"] = () => ClassificationMetrics.RocAucScoreOneVsRest(yt, ys, MetricAverage.Macro)!;
        d[mc + "roc_auc_ovr_weighted"] = () => ClassificationMetrics.RocAucScoreOneVsRest(yt, ys, MetricAverage.Weighted)!;
        d[mc + "roc_auc_ovo_macro"] = () => ClassificationMetrics.RocAucScoreOneVsOne(yt, ys)!;
        d[mc + "average_precision_per_class"] = () => ClassificationMetrics.AveragePrecisionScorePerLabel(oneHot, ys);
        d[mc + "average_precision_macro"] = () => ClassificationMetrics.AveragePrecisionScoreOneVsRest(yt, ys, MetricAverage.Macro)!;
        d[mc + "average_precision_micro"] = () => ClassificationMetrics.AveragePrecisionScoreOneVsRest(yt, ys, MetricAverage.Micro)!;
        d[mc + "log_loss"] = () => ClassificationMetrics.LogLoss(yt, ys);
        d[mc + "brier_per_class"] = () => Enumerable.Range(0, K)
            .Select(k => ClassificationMetrics.BrierScoreLoss(ClassificationMetrics.Column(oneHot, k), ClassificationMetrics.Column(ys, k))).ToArray();
        d[mc + "brier_multiclass_mean_sum_sq"] = () => ClassificationMetrics.MulticlassBrierScore(yt, ys);
        AddCurves(d, mc + "class0_curves/", ClassificationMetrics.Column(oneHot, 0), ClassificationMetrics.Column(ys, 0));

        bool[][] lt = MultilabelTrue, lp = MultilabelPred;
        double[][] ls = MultilabelScore;
        const string ml = "multilabel/";
        d[ml + "subset_accuracy"] = () => ClassificationMetrics.AccuracyScore(lt, lp);
        d[ml + "hamming_loss"] = () => ClassificationMetrics.HammingLoss(lt, lp);
        d[ml + "multilabel_confusion_matrix"] = () => ClassificationMetrics.MultilabelConfusionMatrix(lt, lp);
        AddPerClass(d, ml + "per_label/", () => ClassificationMetrics.PrecisionRecallFScoreSupport(lt, lp));
        foreach (var (name, avg) in Averages(samples: true))
            AddAverage(d, ml + name + "/", () => ClassificationMetrics.PrecisionRecallFScore(lt, lp, avg));
        d[ml + "roc_auc_per_label"] = () => ClassificationMetrics.RocAucScorePerLabel(lt, ls);
        d[ml + "roc_auc_macro"] = () => ClassificationMetrics.RocAucScore(lt, ls, MetricAverage.Macro)!;
        d[ml + "roc_auc_micro"] = () => ClassificationMetrics.RocAucScore(lt, ls, MetricAverage.Micro)!;
        d[ml + "roc_auc_weighted"] = () => ClassificationMetrics.RocAucScore(lt, ls, MetricAverage.Weighted)!;
        d[ml + "average_precision_per_label"] = () => ClassificationMetrics.AveragePrecisionScorePerLabel(lt, ls);
        d[ml + "average_precision_macro"] = () => ClassificationMetrics.AveragePrecisionScore(lt, ls, MetricAverage.Macro)!;
        d[ml + "average_precision_micro"] = () => ClassificationMetrics.AveragePrecisionScore(lt, ls, MetricAverage.Micro)!;
        d[ml + "log_loss_per_label"] = () => Enumerable.Range(0, 5)
            .Select(j => ClassificationMetrics.LogLoss(ClassificationMetrics.Column(lt, j), ClassificationMetrics.Column(ls, j))).ToArray();
        d[ml + "mean_binary_cross_entropy_all_elements"] = () => ClassificationMetrics.MeanBinaryLogLoss(lt, ls);
        d[ml + "brier_per_label"] = () => Enumerable.Range(0, 5)
            .Select(j => ClassificationMetrics.BrierScoreLoss(ClassificationMetrics.Column(lt, j), ClassificationMetrics.Column(ls, j))).ToArray();
        d[ml + "label_ranking_average_precision"] = () => ClassificationMetrics.LabelRankingAveragePrecisionScore(lt, ls);
        AddCurves(d, ml + "label0_curves/", ClassificationMetrics.Column(lt, 0), ClassificationMetrics.Column(ls, 0));
        return d;
    }

    private static IEnumerable<(string, MetricAverage)> Averages(bool samples)
    {
        yield return ("macro", MetricAverage.Macro);
        yield return ("micro", MetricAverage.Micro);
        yield return ("weighted", MetricAverage.Weighted);
        if (samples) yield return ("samples", MetricAverage.Samples);
    }

    private static void AddPerClass(Dictionary<string, Func<object>> d, string prefix, Func<PrecisionRecallFScore> f)
    {
        d[prefix + "precision"] = () => f().Precision;
        d[prefix + "recall"] = () => f().Recall;
        d[prefix + "f1"] = () => f().F1;
        d[prefix + "support"] = () => f().Support;
    }

    private static void AddAverage(Dictionary<string, Func<object>> d, string prefix, Func<AveragedScores> f)
    {
        d[prefix + "precision"] = () => f().Precision;
        d[prefix + "recall"] = () => f().Recall;
        d[prefix + "f1"] = () => f().F1;
    }

    private static void AddCurves(Dictionary<string, Func<object>> d, string prefix, bool[] y, double[] s)
    {
        d[prefix + "roc_curve/fpr"] = () => ClassificationMetrics.RocCurve(y, s).FalsePositiveRate;
        d[prefix + "roc_curve/tpr"] = () => ClassificationMetrics.RocCurve(y, s).TruePositiveRate;
        d[prefix + "roc_curve/thresholds"] = () => ClassificationMetrics.RocCurve(y, s).Thresholds;
        d[prefix + "roc_curve_all_thresholds/fpr"] = () => ClassificationMetrics.RocCurve(y, s, dropIntermediate: false).FalsePositiveRate;
        d[prefix + "roc_curve_all_thresholds/tpr"] = () => ClassificationMetrics.RocCurve(y, s, dropIntermediate: false).TruePositiveRate;
        d[prefix + "roc_curve_all_thresholds/thresholds"] = () => ClassificationMetrics.RocCurve(y, s, dropIntermediate: false).Thresholds;
        d[prefix + "precision_recall_curve/precision"] = () => ClassificationMetrics.PrecisionRecallCurve(y, s).Precision;
        d[prefix + "precision_recall_curve/recall"] = () => ClassificationMetrics.PrecisionRecallCurve(y, s).Recall;
        d[prefix + "precision_recall_curve/thresholds"] = () => ClassificationMetrics.PrecisionRecallCurve(y, s).Thresholds;
    }

    private static IEnumerable<string> Leaves(JsonElement e, string path)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (NotMetrics.Contains(p.Name) || p.Value.ValueKind == JsonValueKind.String) continue;
            var child = path + "/" + p.Name;
            if (p.Value.ValueKind == JsonValueKind.Object)
                foreach (var leaf in Leaves(p.Value, child)) yield return leaf;
            else
                yield return child;
        }
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static double[][] Matrix(JsonElement e) =>
        e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();

    private static bool[][] BoolMatrix(JsonElement e) =>
        e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32() != 0).ToArray()).ToArray();
}
