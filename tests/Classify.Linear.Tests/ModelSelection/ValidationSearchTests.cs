using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Linear.LogisticRegression;
using Classify.Linear.ModelSelection;
using Classify.Linear.Sparse;
using Classify.Linear.Tests.LogisticRegression;

namespace Classify.Linear.Tests.ModelSelection;

/// <summary>The grid search on a predefined validation split, multi-label targets and early stops.</summary>
public sealed class ValidationSearchTests
{
    private static readonly ParameterGrid CGrid = new(new Dictionary<string, IReadOnlyList<object?>> { ["C"] = [0.001, 0.1, 10.0] });

    private static (CsrMatrix Train, int[] TrainY, CsrMatrix Val, int[] ValY) Split(int classes, int seed)
    {
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(300, classes, seed);
        var train = Enumerable.Range(0, 200).ToArray();
        var val = Enumerable.Range(200, 100).ToArray();
        return (x.SelectRows(train), train.Select(i => y[i]).ToArray(), x.SelectRows(val), val.Select(i => y[i]).ToArray());
    }

    [Fact]
    public void On_a_validation_split_every_candidate_is_fitted_on_train_and_the_best_fit_is_kept_without_a_refit()
    {
        var (train, trainY, val, valY) = Split(3, seed: 5);
        var options = new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear };
        var result = LogisticRegressionSearch.Create(CGrid, options, new GridSearchOptions { Scoring = MetricKeys.MacroF1 })
            .FitOnValidation(train, SearchTargets.SingleLabel(trainY, 3), val, SearchTargets.SingleLabel(valY, 3));

        // The same as fitting each candidate by hand and scoring it on the validation rows.
        var expected = CGrid.Select(p =>
        {
            var model = new LogisticRegressionClassifier(LogisticRegressionSearch.Apply(options, p)).Fit(train, trainY, classCount: 3);
            return ClassificationMetrics.PrecisionRecallFScore(valY, model.Predict(val), 3, MetricAverage.Macro).F1;
        }).ToArray();
        Assert.Equal(expected, result.Candidates.Select(c => c.MeanScore).ToArray());
        Assert.Equal(Array.IndexOf(expected, expected.Max()), result.BestIndex);
        Assert.Equal(0, result.RefitSeconds);
        var best = (LogisticRegressionClassifier)result.BestEstimator!;
        var byHand = new LogisticRegressionClassifier(LogisticRegressionSearch.Apply(options, result.BestParameters)).Fit(train, trainY, classCount: 3);
        Assert.Equal(byHand.PredictProbabilities(val), best.PredictProbabilities(val));
    }

    [Fact]
    public void Multilabel_targets_are_fitted_as_independent_labels_and_scored_with_the_metric_report()
    {
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(240, 3, seed: 9);
        // Label sets: the class, plus label 2 for every third row.
        var sets = y.Select((c, i) => i % 3 == 0 && c != 2 ? new[] { c, 2 } : new[] { c }).ToArray();
        var targets = SearchTargets.Multilabel(sets, 3);
        var train = Enumerable.Range(0, 160).ToArray();
        var val = Enumerable.Range(160, 80).ToArray();
        var result = LogisticRegressionSearch.Create(CGrid, new LogisticRegressionOptions(), new GridSearchOptions { Scoring = MetricKeys.LogLoss })
            .FitOnValidation(x.SelectRows(train), targets.Select(train), x.SelectRows(val), targets.Select(val));

        var best = (LogisticRegressionClassifier)result.BestEstimator!;
        Assert.Equal(LogisticRegressionMode.Multilabel, best.Mode);
        var schema = new LabelSchema(TaskKind.Multilabel, ["0", "1", "2"]);
        var p = best.PredictProbabilities(x.SelectRows(val));
        var report = MetricReport.Compute("val", schema, targets.Select(val).LabelSets!, p.Select(r => DecisionRule.Apply(schema, r)).ToArray(), p);
        Assert.Equal(-report.Get(MetricKeys.LogLoss), result.BestScore, 12);   // losses are negated: higher is better
    }

    [Fact]
    public void Multilabel_targets_can_be_cross_validated_with_iterative_stratification()
    {
        var (x, y) = LogisticRegressionClassifierTests.Synthetic(200, 3, seed: 4);
        var targets = SearchTargets.Multilabel(y.Select(c => new[] { c }).ToArray(), 3);
        var result = LogisticRegressionSearch.Create(CGrid, new LogisticRegressionOptions(), new GridSearchOptions { Folds = 3, Scoring = MetricKeys.MicroF1 })
            .Fit(x, targets);
        Assert.All(result.Candidates, c => Assert.Equal(3, c.SplitScores.Length));
        Assert.Equal(LogisticRegressionMode.Multilabel, ((LogisticRegressionClassifier)result.BestEstimator!).Mode);
    }

    [Fact]
    public void A_listener_can_stop_the_search_and_unscored_candidates_rank_last()
    {
        var (train, trainY, val, valY) = Split(2, seed: 3);
        var seen = new List<GridSearchScore>();
        var result = LogisticRegressionSearch.Create(CGrid, new LogisticRegressionOptions(),
                new GridSearchOptions { MaxDegreeOfParallelism = 1, WarmStartParameters = [], Scored = s => { seen.Add(s); return s.Completed < 2; } })
            .FitOnValidation(train, SearchTargets.SingleLabel(trainY, 2), val, SearchTargets.SingleLabel(valY, 2));

        Assert.True(result.Stopped);
        Assert.Equal([1, 2], seen.Select(s => s.Completed));
        var unscored = Assert.Single(result.Candidates, c => double.IsNaN(c.MeanScore));
        Assert.Equal(CGrid.Count, unscored.Rank);
        Assert.False(double.IsNaN(result.BestScore));
    }
}
