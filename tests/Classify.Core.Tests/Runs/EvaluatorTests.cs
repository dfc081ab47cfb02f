using Classify.Core.Data;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Core.Training;

namespace Classify.Core.Tests.Runs;

public sealed class EvaluatorTests
{
    private static readonly LabelSchema Binary = new(TaskKind.Binary, ["neg", "pos"]);

    [Fact]
    public void PredictAll_batches_applies_temperature_and_link_and_reports_progress()
    {
        var examples = Enumerable.Range(0, 7).Select(i => new Example($"e{i}", $"{i}", [i % 2])).ToArray();
        using var predictor = new FixedScores(Binary, temperature: 2.0);
        var progress = new List<ProgressUpdate>();
        var p = Evaluator.PredictAll(predictor, examples, batchSize: 3, "val", new Recorder(progress), CancellationToken.None);

        Assert.Equal([3, 3, 1], predictor.BatchSizes);
        for (int i = 0; i < 7; i++) Assert.Equal(LinkFunction.Sigmoid(i / 2.0), p[i][1], 15);
        Assert.Equal([3L, 6L, 7L], progress.Select(u => u.Completed));
        Assert.All(progress, u => Assert.Equal("scoring val", u.Stage));
    }

    [Fact]
    public void Score_applies_thresholds_before_the_metrics()
    {
        var examples = new[] { new Example("a", "a", [1]), new Example("b", "b", [0]) };
        double[][] p = [[0.4, 0.6], [0.65, 0.35]];
        Assert.Equal(1.0, Evaluator.Score("val", Binary, examples, p, thresholds: null).Report.Get("accuracy"));
        var strict = Evaluator.Score("val", Binary, examples, p, thresholds: [0.5, 0.7]);
        Assert.Equal([[0], [0]], strict.Predicted);
        Assert.Equal(0.5, strict.Report.Get("accuracy"));
    }

    [Fact]
    public void Cancellation_stops_between_batches()
    {
        using var predictor = new FixedScores(Binary, 1.0);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            Evaluator.PredictAll(predictor, [new Example("a", "1", [0])], 1, "test", null, cts.Token));
    }

    /// <summary>Scores the text's number as the logistic decision value.</summary>
    private sealed class FixedScores(LabelSchema schema, double temperature) : IPredictor
    {
        public List<int> BatchSizes { get; } = [];
        public ModelManifest Manifest { get; } = new() { Engine = "fixed", Task = schema.Kind.ToName(), Labels = schema.Labels, Temperature = temperature };
        public ScoreLink Link => ScoreLink.Logistic;
        public bool SupportsDropout => false;

        public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
        {
            BatchSizes.Add(inputs.Count);
            return inputs.Select(i => new[] { double.Parse(i.Text, System.Globalization.CultureInfo.InvariantCulture) }).ToArray();
        }

        public void Dispose() { }
    }

    private sealed class Recorder(List<ProgressUpdate> updates) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => updates.Add(value);
    }
}
