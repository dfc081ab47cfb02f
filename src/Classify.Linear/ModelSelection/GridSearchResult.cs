using Classify.Core.IO;

namespace Classify.Linear.ModelSelection;

/// <summary>The cross-validated scores of one candidate (one row of sklearn's <c>cv_results_</c>).</summary>
/// <param name="Index">Position in the grid.</param>
/// <param name="Parameters">The hyperparameters.</param>
/// <param name="SplitScores">Test score on each fold (<c>split{i}_test_score</c>).</param>
/// <param name="MeanScore">Mean over folds (<c>mean_test_score</c>).</param>
/// <param name="StdScore">Population standard deviation over folds (<c>std_test_score</c>, numpy's ddof=0).</param>
/// <param name="Rank">1 for the best; ties share the lowest rank (<c>rank_test_score</c>).</param>
/// <param name="MeanFitSeconds">Mean fit time over folds (<c>mean_fit_time</c>).</param>
public sealed record CandidateResult(int Index, ParameterSet Parameters, double[] SplitScores, double MeanScore, double StdScore, int Rank, double MeanFitSeconds);

/// <summary>The outcome of a <see cref="GridSearch"/>: the results table, the best candidate and the refitted estimator.</summary>
public sealed record GridSearchResult
{
    /// <summary>The metric key candidates were ranked by (higher is better; losses are negated).</summary>
    public required string Scoring { get; init; }

    /// <summary>Every candidate, in grid order.</summary>
    public required IReadOnlyList<CandidateResult> Candidates { get; init; }

    /// <summary>Index of the best candidate (the first with rank 1, as sklearn's <c>best_index_</c>).</summary>
    public required int BestIndex { get; init; }

    /// <summary>The best candidate's parameters (<c>best_params_</c>).</summary>
    public ParameterSet BestParameters => Candidates[BestIndex].Parameters;

    /// <summary>The best mean cross-validated score (<c>best_score_</c>).</summary>
    public double BestScore => Candidates[BestIndex].MeanScore;

    /// <summary>The best candidate refitted on the whole training split (<c>best_estimator_</c>), or null without refit.</summary>
    public ISearchEstimator? BestEstimator { get; init; }

    /// <summary>Seconds spent on the refit (<c>refit_time_</c>).</summary>
    public double RefitSeconds { get; init; }

    /// <summary>Wall-clock seconds of the whole search.</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>True when <see cref="GridSearchOptions.Scored"/> stopped the search before every candidate was scored.</summary>
    public bool Stopped { get; init; }

    /// <summary>Builds the table from per-candidate, per-fold scores and fit times.</summary>
    internal static GridSearchResult Create(ParameterGrid grid, string scoring, double[,] scores, double[,] fitSeconds)
    {
        int n = grid.Count, k = scores.GetLength(1);
        var means = new double[n];
        for (int c = 0; c < n; c++)
        {
            double sum = 0;
            for (int f = 0; f < k; f++) sum += scores[c, f];
            means[c] = sum / k;
        }
        var candidates = new CandidateResult[n];
        for (int c = 0; c < n; c++)
        {
            var split = new double[k];
            double sq = 0, time = 0;
            for (int f = 0; f < k; f++)
            {
                split[f] = scores[c, f];
                sq += (split[f] - means[c]) * (split[f] - means[c]);
                time += fitSeconds[c, f];
            }
            // sklearn ranks NaN scores last; 'min' ranking: 1 + number of strictly better candidates.
            int rank = double.IsNaN(means[c]) ? n : 1 + means.Count(m => !double.IsNaN(m) && m > means[c]);
            candidates[c] = new CandidateResult(c, grid[c], split, means[c], Math.Sqrt(sq / k), rank, time / k);
        }
        int best = Array.FindIndex(candidates, c => c.Rank == candidates.Min(x => x.Rank));
        return new GridSearchResult { Scoring = scoring, Candidates = candidates, BestIndex = best };
    }

    /// <summary>
    /// Writes the table as <c>search/grid.csv</c>: rank, one <c>param_&lt;name&gt;</c> column per parameter, mean_test_score,
    /// std_test_score, split0_test_score … split{k−1}_test_score, mean_fit_seconds; rows ordered by rank, then grid order.
    /// </summary>
    public void WriteCsv(string path)
    {
        var names = Candidates[0].Parameters.Keys.ToArray();
        int k = Candidates[0].SplitScores.Length;
        AtomicFile.WriteText(path, writer =>
        {
            var csv = new CsvWriter(writer);
            csv.WriteRow(new[] { "rank" }
                .Concat(names.Select(n => "param_" + n))
                .Concat(["mean_test_score", "std_test_score"])
                .Concat(Enumerable.Range(0, k).Select(i => $"split{i}_test_score"))
                .Append("mean_fit_seconds"));
            foreach (var c in Candidates.OrderBy(c => c.Rank).ThenBy(c => c.Index))
            {
                var fields = new List<string?> { CsvWriter.Format(c.Rank) };
                fields.AddRange(names.Select(n => ParameterSet.FormatValue(c.Parameters[n])));
                fields.Add(CsvWriter.Format(c.MeanScore));
                fields.Add(CsvWriter.Format(c.StdScore));
                fields.AddRange(c.SplitScores.Select(s => CsvWriter.Format(s)));
                fields.Add(CsvWriter.Format(c.MeanFitSeconds));
                csv.WriteRow(fields);
            }
        });
    }
}
