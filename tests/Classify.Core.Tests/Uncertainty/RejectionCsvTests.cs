using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Tests.Data;
using Classify.Core.Uncertainty;

namespace Classify.Core.Tests.Uncertainty;

public sealed class RejectionCsvTests
{
    [Fact]
    public void Curves_round_trip_through_the_file_with_empty_cells_for_metrics_a_unit_lacks()
    {
        var u = UncertaintyCalculator.FromPasses(
            UncertaintyCalculatorTests.RandomPasses(new Randomness.SeededRandom(1), passes: 5, rows: 40, labels: 3, TaskKind.Multilabel),
            TaskKind.Multilabel);
        var gold = Enumerable.Range(0, 40).Select(i => new[] { i % 2 == 0, i % 3 == 0, i % 5 == 0 }).ToArray();
        var predicted = u.Select(x => x.MeanProbabilities.Select(p => p >= 0.5).ToArray()).ToArray();
        var decisions = RejectionCurves.ForLabelDecisions(u, gold, predicted, seed: 4);
        var examples = RejectionCurves.FromScores(RejectionUnit.Example,
            new RankingScores(u.Select(x => x.MaxProbability).ToArray(), u.Select(x => x.PredictiveEntropy).ToArray(),
                u.Select(x => x.Aleatoric).ToArray(), u.Select(x => x.Epistemic).ToArray()),
            gold.Select((g, i) => g.AsSpan().SequenceEqual(predicted[i])).ToArray(), seed: 4);

        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "metrics", RejectionCsv.FileName("test"));
        RejectionCsv.Write(path, [examples, decisions]);
        var lines = File.ReadAllLines(path);
        Assert.Equal("unit,ranker,rejected_fraction,coverage,kept,accuracy,macro_f1,aurc", lines[0]);
        Assert.Equal(1 + 2 * 6 * 19, lines.Length);
        Assert.StartsWith("example,max_probability,0,1,40,", lines[1]);
        Assert.Contains(",,", lines[1]);   // no macro_f1 for the example set
        Assert.StartsWith("example,max_probability,0.05,0.95,38,", lines[2]);   // ⌊0.05 · 40⌋ = 2 rejected
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(path)!), f => AtomicFile.IsTemporary(Path.GetFileName(f)));

        var read = RejectionCsv.Read(path);
        Assert.Equal(2, read.Count);
        foreach (var (written, back) in new[] { examples, decisions }.Zip(read))
        {
            Assert.Equal(written.Unit, back.Unit);
            Assert.Equal(written.MetricNames, back.MetricNames);
            Assert.Equal(written.Curves.Select(c => c.Ranker), back.Curves.Select(c => c.Ranker));
            foreach (var (w, b) in written.Curves.Zip(back.Curves))
            {
                Assert.Equal(w.Aurc, b.Aurc);
                Assert.Equal(w.Points.Count, b.Points.Count);
                foreach (var (wp, bp) in w.Points.Zip(b.Points))
                {
                    Assert.Equal(wp.RejectedFraction, bp.RejectedFraction);
                    Assert.Equal(wp.Coverage, bp.Coverage);
                    Assert.Equal(wp.Kept, bp.Kept);
                    Assert.Equal(wp.Metrics, bp.Metrics);
                }
            }
        }
    }

    [Fact]
    public void A_malformed_file_is_an_input_error_naming_line_and_column()
    {
        using var folder = new TempFolder();
        const string header = "unit,ranker,rejected_fraction,coverage,kept,accuracy,aurc\n";
        var unknown = Assert.Throws<InputException>(() => RejectionCsv.Read(folder.Write("a.csv", header + "example,entropy,0,1,3,0.5,0.2\n")));
        Assert.Equal(2, unknown.Line);
        Assert.Contains("unknown ranker 'entropy'", unknown.Message);
        var number = Assert.Throws<InputException>(() => RejectionCsv.Read(folder.Write("b.csv", header + "example,oracle,0,1,3,0,5,0.2\n")));
        Assert.Equal(2, number.Line);
        var columns = Assert.Throws<InputException>(() => RejectionCsv.Read(folder.Write("c.csv", "ranker,rejected_fraction,coverage,kept,accuracy,aurc\nrandom,0,1,3,0.5,0.2\n")));
        Assert.Contains("'unit'", columns.Message);
        var aurc = Assert.Throws<InputException>(() => RejectionCsv.Read(folder.Write("d.csv", header + "example,oracle,0,1,3,0.5,0.2\nexample,oracle,0.05,1,3,0.5,0.3\n")));
        Assert.Equal(3, aurc.Line);
        Assert.Equal("aurc", aurc.Field);
    }

    [Fact]
    public void Writing_nothing_or_two_sets_of_one_unit_is_refused()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "r.csv");
        Assert.Throws<ArgumentException>(() => RejectionCsv.Write(path, []));
        var set = RejectionCurves.FromScores(RejectionUnit.Example, new RankingScores([0.5], [0.1], [0.1], [0.0]), [true], seed: 1);
        Assert.Throws<ArgumentException>(() => RejectionCsv.Write(path, [set, set]));
        Assert.False(File.Exists(path));
    }
}
