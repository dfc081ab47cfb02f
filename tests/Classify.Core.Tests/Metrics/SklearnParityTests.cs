using System.Collections;
using System.Text.Json;
using Classify.Core.Labels;
using Classify.Core.Metrics;

namespace Classify.Core.Tests.Metrics;

/// <summary>Every metric in fixtures/sklearn/metrics.json is reproduced to 1e-12.</summary>
public class SklearnParityTests
{
    private const double Tolerance = 1e-12;

    public static TheoryData<string> MetricPaths() => new(SklearnMetricsFixture.MetricPaths());

    [Theory]
    [MemberData(nameof(MetricPaths))]
    public void Matches_scikit_learn(string path)
    {
        var expected = SklearnMetricsFixture.Expected(path);
        var actual = SklearnMetricsFixture.Actual(path);
        AssertClose(expected, actual, path);
    }

    [Fact]
    public void Fixture_has_every_expected_section()
    {
        var paths = SklearnMetricsFixture.MetricPaths().ToList();
        Assert.True(paths.Count >= 70, $"only {paths.Count} metric entries found");
        Assert.Contains("multiclass/roc_auc_ovo_macro", paths);
        Assert.Contains("multilabel/samples/f1", paths);
    }

    [Fact]
    public void Multiclass_report_matches_scikit_learn()
    {
        var j = SklearnMetricsFixture.Json.GetProperty("multiclass");
        var schema = new LabelSchema(TaskKind.Multiclass, ["a", "b", "c"]);
        var report = MetricReport.Compute("test", schema,
            SklearnMetricsFixture.MulticlassTrue.Select(y => new[] { y }).ToList(),
            SklearnMetricsFixture.MulticlassPred.Select(y => new[] { y }).ToList(),
            SklearnMetricsFixture.MulticlassScore);

        Assert.Equal(200, report.N);
        Close(j.GetProperty("accuracy"), report.Accuracy);
        Close(j.GetProperty("macro").GetProperty("f1"), report.MacroF1);
        Close(j.GetProperty("micro").GetProperty("f1"), report.MicroF1);
        Close(j.GetProperty("weighted").GetProperty("f1"), report.WeightedF1);
        Close(j.GetProperty("macro").GetProperty("precision"), report.MacroPrecision);
        Close(j.GetProperty("weighted").GetProperty("recall"), report.WeightedRecall);
        Close(j.GetProperty("roc_auc_ovr_macro"), report.RocAucMacro!.Value);
        Close(j.GetProperty("average_precision_macro"), report.PrAucMacro!.Value);
        Close(j.GetProperty("log_loss"), report.LogLoss);
        Close(j.GetProperty("brier_multiclass_mean_sum_sq"), report.BrierScore);
        Assert.Null(report.SamplesF1);
        Assert.Null(report.HammingLoss);
        Close(j.GetProperty("per_class").GetProperty("f1")[2], report.PerClass["c"].F1);
        Close(j.GetProperty("roc_auc_ovr_per_class")[1], report.PerClass["b"].RocAuc!.Value);
        Assert.Equal(35, report.PerClass["c"].Support);
        Assert.Equal(ToJaggedInts(j.GetProperty("confusion_matrix")), report.ConfusionMatrix.Matrix);
        Assert.Null(report.ConfusionMatrix.PerLabel);
    }

    [Fact]
    public void Multilabel_report_matches_scikit_learn()
    {
        var j = SklearnMetricsFixture.Json.GetProperty("multilabel");
        var schema = new LabelSchema(TaskKind.Multilabel, ["l0", "l1", "l2", "l3", "l4"]);
        static List<int[]> Sets(bool[][] m) => m.Select(r => Enumerable.Range(0, r.Length).Where(k => r[k]).ToArray()).ToList();
        var report = MetricReport.Compute("val", schema, Sets(SklearnMetricsFixture.MultilabelTrue),
            Sets(SklearnMetricsFixture.MultilabelPred), SklearnMetricsFixture.MultilabelScore);

        Close(j.GetProperty("subset_accuracy"), report.Accuracy);
        Close(j.GetProperty("samples").GetProperty("f1"), report.SamplesF1!.Value);
        Close(j.GetProperty("micro").GetProperty("precision"), report.MicroPrecision);
        Close(j.GetProperty("hamming_loss"), report.HammingLoss!.Value);
        Close(j.GetProperty("roc_auc_macro"), report.RocAucMacro!.Value);
        Close(j.GetProperty("average_precision_macro"), report.PrAucMacro!.Value);
        Close(j.GetProperty("mean_binary_cross_entropy_all_elements"), report.LogLoss);
        double meanBrier = j.GetProperty("brier_per_label").EnumerateArray().Average(x => x.GetDouble());
        Assert.Equal(meanBrier, report.BrierScore, Tolerance);
        Assert.Equal(0.0, report.PerClass["l4"].Precision);
        Assert.Equal(
            j.GetProperty("multilabel_confusion_matrix").EnumerateArray().Select(ToJaggedInts).ToArray(),
            report.ConfusionMatrix.PerLabel);
        Assert.Null(report.ConfusionMatrix.Matrix);
    }

    private static int[][] ToJaggedInts(JsonElement e) =>
        e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();

    private static void Close(JsonElement expected, double actual) => Assert.Equal(expected.GetDouble(), actual, Tolerance);

    internal static void AssertClose(JsonElement expected, object? actual, string path)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Number:
                double value = actual switch
                {
                    double d => d,
                    int i => i,
                    null => throw new Xunit.Sdk.XunitException($"{path}: C# value is null, scikit-learn gives {expected}"),
                    _ => throw new Xunit.Sdk.XunitException($"{path}: unexpected C# type {actual.GetType()}"),
                };
                double e = expected.GetDouble();
                Assert.True(Math.Abs(e - value) <= Tolerance, $"{path}: expected {e:R}, got {value:R} (diff {Math.Abs(e - value):E2})");
                break;
            case JsonValueKind.Array:
                var items = ((IEnumerable)actual!).Cast<object?>().ToList();
                Assert.True(expected.GetArrayLength() == items.Count, $"{path}: expected {expected.GetArrayLength()} items, got {items.Count}");
                int k = 0;
                foreach (var item in expected.EnumerateArray())
                {
                    AssertClose(item, items[k], $"{path}[{k}]");
                    k++;
                }
                break;
            default:
                throw new Xunit.Sdk.XunitException($"{path}: unsupported fixture value kind {expected.ValueKind}");
        }
    }
}
