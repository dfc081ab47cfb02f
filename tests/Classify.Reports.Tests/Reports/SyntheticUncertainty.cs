using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Runs;
using Classify.Core.Uncertainty;
using Classify.Reports.RunData;

namespace Classify.Reports.Tests.Reports;

/// <summary>
/// Extends a <see cref="SyntheticRun"/> folder with what an uncertainty-aware train/eval writes: the uncertainty columns of
/// predictions/&lt;split&gt;.csv (from <paramref name="passes"/> noisy copies of each row's probabilities, through the
/// real <see cref="UncertaintyCalculator"/>) and metrics/rejection_&lt;split&gt;.csv (through <see cref="RejectionCurves"/>).
/// </summary>
internal static class SyntheticUncertainty
{
    /// <summary>Adds uncertainty columns (unless <paramref name="columns"/> is false) and rejection curves to every split.</summary>
    public static void Add(string runDirectory, int passes, bool columns = true, bool rejection = true)
    {
        var layout = new RunLayout(runDirectory);
        var info = RunInfo.Load(layout);
        bool multilabel = info.Task == "multilabel";
        var task = multilabel ? TaskKind.Multilabel : TaskKind.Multiclass;
        var schema = new LabelSchema(task, info.Labels!);
        var rng = new Random(5);
        foreach (var split in new[] { "val", "test" })
        {
            var path = layout.Predictions(split);
            var p = PredictionTable.Load(path, split, multilabel, info.Labels);
            int n = p.Count, k = p.LabelCount;
            // Pass noise grows with the row's closeness to the decision boundary, so epistemic flags errors a little.
            var runs = new double[passes][][];
            for (int s = 0; s < passes; s++)
            {
                runs[s] = new double[n][];
                for (int i = 0; i < n; i++)
                {
                    var row = new double[k];
                    for (int j = 0; j < k; j++)
                    {
                        double q = Math.Clamp(p.Probability(i, j), 1e-6, 1 - 1e-6);
                        double noise = passes == 1 ? 0 : 0.8 * (1 - Math.Abs(2 * q - 1)) * SyntheticRun.Gaussian(rng);
                        row[j] = multilabel ? 1 / (1 + Math.Exp(-(Math.Log(q / (1 - q)) + noise))) : Math.Exp(Math.Log(q) + noise);
                    }
                    if (!multilabel)
                    {
                        double sum = row.Sum();
                        for (int j = 0; j < k; j++) row[j] /= sum;
                    }
                    runs[s][i] = row;
                }
            }
            var uncertainty = UncertaintyCalculator.FromPasses(runs, task);
            if (columns)
            {
                var table = CsvTable.Read(path);
                var extra = UncertaintyColumns.Header(schema);
                // Written again: replace the uncertainty columns a previous call appended.
                int kept = table.Header.Count;
                while (kept > 4 && UncertaintyColumns.IsUncertaintyColumn(table.Header[kept - 1])) kept--;
                AtomicFile.WriteText(path, w =>
                {
                    var csv = new CsvWriter(w);
                    csv.WriteRow([.. Enumerable.Range(0, kept).Select(c => table.Header[c]), .. extra]);
                    for (int i = 0; i < n; i++)
                    {
                        var record = table.Rows[i];
                        var row = new object?[kept + extra.Length];
                        for (int c = 0; c < kept; c++) row[c] = record[c];
                        UncertaintyColumns.Fill(uncertainty[i], row, kept);
                        csv.WriteValues(row);
                    }
                });
            }
            if (rejection)
            {
                RejectionCurveSet[] sets;
                if (multilabel)
                {
                    bool[][] Matrix(int[][] labels) => labels.Select(l => Enumerable.Range(0, k).Select(l.Contains).ToArray()).ToArray();
                    sets = [RejectionCurves.ForLabelSets(uncertainty, Matrix(p.GoldLabels), Matrix(p.PredictedLabels), 42),
                            RejectionCurves.ForLabelDecisions(uncertainty, Matrix(p.GoldLabels), Matrix(p.PredictedLabels), 42)];
                }
                else
                    sets = [RejectionCurves.ForSingleLabel(uncertainty, p.GoldLabels.Select(g => g[0]).ToArray(), p.PredictedLabels.Select(g => g[0]).ToArray(), 42)];
                RejectionCsv.Write(RunFolder.RejectionPath(layout, split), sets);
            }
        }
    }
}
