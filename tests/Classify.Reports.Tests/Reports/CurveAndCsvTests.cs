using Classify.Core.IO;
using Classify.Reports.Charts;
using Classify.Reports.RunData;

namespace Classify.Reports.Tests.Reports;

public class CurveAndCsvTests
{
    [Fact]
    public void F1AtThresholds_MatchesCountingEveryThreshold()
    {
        var rng = new Random(5);
        var gold = Enumerable.Range(0, 500).Select(_ => rng.NextDouble() < 0.3).ToArray();
        var scores = gold.Select(g => Math.Round(Math.Clamp((g ? 0.65 : 0.35) + 0.3 * (rng.NextDouble() - 0.5), 0, 1), 2)).ToArray();
        double[] thresholds = [0.0, 0.2, 0.35, 0.5, 0.51, 0.8, 1.0];
        var f1 = CurveMath.F1AtThresholds(gold, scores, thresholds);
        for (int t = 0; t < thresholds.Length; t++)
        {
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < gold.Length; i++)
            {
                bool pred = scores[i] >= thresholds[t];
                if (pred && gold[i]) tp++; else if (pred) fp++; else if (gold[i]) fn++;
            }
            double expected = 2 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
            Assert.Equal(expected, f1[t], 12);
        }
    }

    [Fact]
    public void Downsample_KeepsEndsAndBoundsThePointCount()
    {
        var x = Enumerable.Range(0, 5000).Select(i => i / 4999.0).ToArray();
        var y = x.Select(v => Math.Sqrt(v)).ToArray();
        var (dx, dy) = CurveMath.Downsample(x, y, 300);
        Assert.InRange(dx.Length, 100, 305);
        Assert.Equal((x[0], y[0]), (dx[0], dy[0]));
        Assert.Equal((x[^1], y[^1]), (dx[^1], dy[^1]));
        // Shape kept: every original point is close to the polyline through the kept points.
        for (int i = 0; i < x.Length; i += 37)
        {
            int j = Array.FindIndex(dx, v => v >= x[i]);
            double interpolated = j <= 0 ? dy[0] : dy[j - 1] + (dy[j] - dy[j - 1]) * (x[i] - dx[j - 1]) / (dx[j] - dx[j - 1]);
            Assert.True(Math.Abs(interpolated - y[i]) < 0.01, $"x={x[i]}");
        }
    }

    [Fact]
    public void MalformedPredictions_NameFileLineAndField()
    {
        using var tmp = new TempDirectory("badcsv");
        var path = Path.Combine(tmp.Path, "test.csv");
        File.WriteAllText(path, "id,text,gold,pred,p_a,p_b\n1,hi,a,a,0.9,0.1\n2,yo,c,a,0.9,0.1\n");
        var e = Assert.Throws<InputException>(() => PredictionTable.Load(path, "test", multilabel: false));
        Assert.Equal(3, e.Line);
        Assert.Equal("gold", e.Field);
        Assert.Contains("unknown label 'c'", e.Message);
    }
}

/// <summary>The predictions file of a model with an abstain rule ends with its <c>abstained</c> column; the reports skip it.</summary>
public class AbstainedColumnTests
{
    [Fact]
    public void The_abstained_column_after_the_uncertainty_columns_is_skipped()
    {
        using var tmp = new TempDirectory("abstained");
        var path = Path.Combine(tmp.Path, "val.csv");
        var schema = new Classify.Core.Labels.LabelSchema(Classify.Core.Labels.TaskKind.Multiclass, ["a", "b", "c"]);
        Classify.Core.Data.Example[] examples = [new("1", "hi", [0]), new("2", "yo", [2])];
        double[][] probabilities = [[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]];
        Classify.Core.Runs.PredictionsFile.Write(path, schema, examples, [[0], [0]], probabilities,
            uncertainty: Classify.Core.Uncertainty.UncertaintyCalculator.FromProbabilities(probabilities, schema.Kind), abstained: [false, true]);
        Assert.EndsWith(",std_c,abstained", File.ReadLines(path).First());

        var table = PredictionTable.Load(path, "val", multilabel: false);
        Assert.Equal(["a", "b", "c"], table.Labels);
        Assert.Equal(0.35, table.Probability(1, 1));
        Assert.Equal(2, table.Uncertainty!.PredictiveEntropy.Length);
        Assert.Equal(3 * 2, table.Uncertainty.Std!.Length);
    }
}
