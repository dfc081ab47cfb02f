using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Reports.Charts;
using Classify.Reports.Html;
using Classify.Reports.RunData;

namespace Classify.Reports.Tests.Reports;

/// <summary>Issue 12 items 5 and 7: the report's Uncertainty section.</summary>
public class UncertaintyReportTests
{
    private static readonly string[] AllKinds = ["rejection", "uncertainty_correct_wrong", "epistemic_scatter", "uncertainty_by_label"];

    private static string[] Names(RunReportResult result, string split) =>
        result.Charts.Select(c => c.Name).Where(n => UncertaintyCharts.IsUncertaintyChart(n) && n.EndsWith("_" + split, StringComparison.Ordinal)).ToArray();

    [Fact]
    public void A_run_with_mc_uncertainty_gets_the_section_with_every_chart_and_an_aurc_table()
    {
        using var tmp = new TempDirectory("unc-full");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 300, withLog: false);
        SyntheticUncertainty.Add(dir, passes: 10);

        var result = RunReport.Write(dir);

        foreach (var split in new[] { "val", "test" })
            Assert.Equal(AllKinds.Select(k => $"{k}_{split}").Order(), Names(result, split).Order());
        foreach (var chart in result.Charts.Where(c => UncertaintyCharts.IsUncertaintyChart(c.Name)))
            RunReportTests.AssertValidChart(chart.PngPath, chart.SvgPath);
        var html = File.ReadAllText(result.ReportPath);
        Assert.Contains("<h2 id=\"uncertainty\">Uncertainty</h2>", html);
        Assert.Contains("href=\"#uncertainty\"", html);
        Assert.Contains("AURC (lower is better)", html);
        foreach (var ranker in new[] { "max_probability", "predictive_entropy", "aleatoric", "epistemic", "random", "oracle" })
            Assert.Contains($"<th class=\"num\">{ranker}</th>", html);
        Assert.Contains("Most uncertain examples", html);
        Assert.DoesNotContain("One pass:", html);
        // The section's charts are embedded inside it, not repeated under Charts.
        int section = html.IndexOf("id=\"uncertainty\"", StringComparison.Ordinal);
        Assert.True(html.IndexOf("id=\"chart-rejection_test\"", StringComparison.Ordinal) > section);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "id=\"chart-rejection_test\""));
        Assert.Contains("AURC", File.ReadAllText(Path.Combine(dir, "plots", "rejection_test.svg")));
        RunReportTests.AssertSelfContained(html);
    }

    [Fact]
    public void The_model_card_and_the_summary_state_calibration_and_selective_prediction()
    {
        using var tmp = new TempDirectory("unc-card");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 300, withLog: false);
        SyntheticUncertainty.Add(dir, passes: 10);
        ReliabilityReportTests.AddCalibration(dir, "test", temperature: 0.8);

        var card = ModelCard.ModelCardWriter.Write(dir);
        var summary = Summary.SummaryReport.Write(dir).Text;

        var facts = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(card.Json))!["uncertainty"]!;
        Assert.Equal("test", (string?)facts["calibration"]!["split"]);
        Assert.Equal("0.8", (string?)facts["calibration"]!["temperature"]);
        var curves = Core.Uncertainty.RejectionCsv.Read(RunFolder.RejectionPath(new RunLayout(dir), "test"));
        var selective = facts["selective_prediction"]!.AsArray();
        Assert.Equal(curves.Count, selective.Count);
        var rankers = selective[0]!["rankers"]!.AsArray();
        Assert.Equal(curves[0].Curves.Select(c => c.Aurc), rankers.Select(r => (double)r!["aurc"]!));
        var oracle = curves[0].Curves.Single(c => c.Ranker == Core.Uncertainty.RejectionRanker.Oracle);
        var stated = rankers.Single(r => (string?)r!["ranker"] == "oracle")!["kept"]!.AsArray().Select(v => (double?)v).ToArray();
        Assert.Equal([oracle.Points[0].Metrics[0], oracle.Points.Single(p => p.RejectedFraction == 0.5).Metrics[0], oracle.Points[^1].Metrics[0]], stated);

        Assert.Contains("## Uncertainty and selective prediction", File.ReadAllText(card.Markdown));
        Assert.Contains("Calibration (test): temperature 0.8; ECE ", summary);
        Assert.Contains("Selective prediction (test, by example, accuracy of the kept", summary);
        Assert.Contains("  oracle ", summary);
    }

    [Fact]
    public void A_run_without_uncertainty_files_has_no_uncertainty_in_its_card_or_summary()
    {
        using var tmp = new TempDirectory("unc-card-old");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 150, withLog: false);

        var card = ModelCard.ModelCardWriter.Write(dir);

        Assert.Null(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(card.Json))!["uncertainty"]);
        Assert.DoesNotContain("Uncertainty", File.ReadAllText(card.Markdown));
        Assert.DoesNotContain("Uncertainty", Summary.SummaryReport.Write(dir).Text);
    }

    [Fact]
    public void An_old_run_without_uncertainty_files_has_no_section_and_does_not_fail()
    {
        using var tmp = new TempDirectory("unc-old");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 150, withLog: false);

        var result = RunReport.Write(dir);

        Assert.DoesNotContain(result.Charts, c => UncertaintyCharts.IsUncertaintyChart(c.Name));
        var html = File.ReadAllText(result.ReportPath);
        Assert.DoesNotContain("id=\"uncertainty\"", html);
        Assert.DoesNotContain("#uncertainty", html);
    }

    [Fact]
    public void A_one_pass_run_says_epistemic_is_zero_and_skips_the_epistemic_charts()
    {
        using var tmp = new TempDirectory("unc-one");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 200, withLog: false);
        SyntheticUncertainty.Add(dir, passes: 1);

        var result = RunReport.Write(dir);

        Assert.Equal(["rejection_test", "uncertainty_correct_wrong_test"], Names(result, "test").Order());
        var html = File.ReadAllText(result.ReportPath);
        Assert.Contains("One pass:", html);
        Assert.Contains("epistemic uncertainty is 0 everywhere", html);
        // The rejection chart leaves out the epistemic ranker (index order with one pass); the table still lists its AURC.
        Assert.DoesNotContain("epistemic (AURC", File.ReadAllText(Path.Combine(dir, "plots", "rejection_test.svg")));
        Assert.Contains("max_probability (AURC", File.ReadAllText(Path.Combine(dir, "plots", "rejection_test.svg")));
    }

    [Fact]
    public void Rejection_curves_alone_give_the_section_with_the_rejection_chart()
    {
        using var tmp = new TempDirectory("unc-rej");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 150, withLog: false);
        SyntheticUncertainty.Add(dir, passes: 1, columns: false);

        var result = RunReport.Write(dir);

        Assert.Equal(["rejection_test"], Names(result, "test"));
        var html = File.ReadAllText(result.ReportPath);
        Assert.Contains("id=\"uncertainty\"", html);
        Assert.DoesNotContain("Most uncertain examples", html);
    }

    [Fact]
    public void Many_labels_multilabel_run_draws_few_labels_and_both_rejection_units()
    {
        using var tmp = new TempDirectory("unc-many");
        var dir = SyntheticRun.GoEmotions28(tmp.Path, testRows: 500, valRows: 200);
        SyntheticUncertainty.Add(dir, passes: 8);

        var result = RunReport.Write(dir);

        Assert.Equal(AllKinds.Select(k => $"{k}_test").Order(), Names(result, "test").Order());
        var run = RunFolder.Load(dir);
        var p = run.Predictions["test"];
        Assert.NotNull(p.Uncertainty!.LabelEpistemic);
        var scatter = UncertaintyCharts.ScatterSelection(p);
        Assert.Equal(UncertaintyCharts.ScatterLabels, scatter.Length);
        Assert.Contains(Array.IndexOf(SyntheticRun.GoEmotions, "neutral"), scatter); // the most frequent label
        Assert.Equal(UncertaintyCharts.BoxLabels, UncertaintyCharts.BoxSelection(p).Length);
        var html = File.ReadAllText(result.ReportPath);
        Assert.Contains($"Drawn for the {UncertaintyCharts.ScatterLabels} most frequent gold labels of 28.", html);
        Assert.Contains($"Drawn for the {UncertaintyCharts.BoxLabels} labels with the most gold examples of 28.", html);
        Assert.Contains("per decision", html);
        Assert.Contains("per example", html);
        var box = File.ReadAllText(Path.Combine(dir, "plots", "uncertainty_by_label_test.svg"));
        Assert.Contains("neutral", box);
        Assert.DoesNotContain("grief", box); // a rare label, not drawn
        RunReportTests.AssertSelfContained(html);
    }

    [Fact]
    public void The_most_uncertain_table_is_sorted_and_capped()
    {
        using var tmp = new TempDirectory("unc-top");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 120, withLog: false);
        SyntheticUncertainty.Add(dir, passes: 6);
        var p = RunFolder.Load(dir).Predictions["test"];

        var top = MostUncertain.Find(p, RunReport.UncertainPerSplit);

        Assert.Equal(RunReport.UncertainPerSplit, top.Count);
        for (int i = 1; i < top.Count; i++) Assert.True(top[i - 1].Epistemic >= top[i].Epistemic);
        Assert.Equal(p.Uncertainty!.Epistemic.Max(), top[0].Epistemic);
        Assert.Equal(p.Ids[top[0].Row], top[0].Id);
        var html = File.ReadAllText(RunReport.Write(dir).ReportPath);
        Assert.Contains($"The {RunReport.UncertainPerSplit} examples of 120 with the highest epistemic uncertainty", html);
        // One pass: ranked by predictive entropy instead.
        SyntheticUncertainty.Add(dir, passes: 1);
        var single = RunFolder.Load(dir).Predictions["test"];
        var byEntropy = MostUncertain.Find(single, 5);
        Assert.Equal(single.Uncertainty!.PredictiveEntropy.Max(), byEntropy[0].PredictiveEntropy);
        Assert.True(byEntropy.Zip(byEntropy.Skip(1)).All(x => x.First.PredictiveEntropy >= x.Second.PredictiveEntropy));
    }

    [Fact]
    public void A_malformed_rejection_csv_or_uncertainty_cell_is_an_input_error_naming_file_and_column()
    {
        using var tmp = new TempDirectory("unc-bad");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 100, withLog: false);
        SyntheticUncertainty.Add(dir, passes: 3);
        var layout = new RunLayout(dir);

        var rejection = RunFolder.RejectionPath(layout, "val");
        var good = File.ReadAllText(rejection);
        File.WriteAllText(rejection, good.Replace("oracle", "psychic"));
        var e = Assert.Throws<InputException>(() => RunReport.Write(dir));
        Assert.Equal(rejection, e.File);
        Assert.Equal("ranker", e.Field);
        File.WriteAllText(rejection, good);

        var predictions = layout.Predictions("test");
        var lines = File.ReadAllLines(predictions);
        var header = lines[0].Split(',');
        int epistemic = Array.IndexOf(header, "epistemic");
        var cells = lines[1].Split(',');
        Assert.True(cells.Length == header.Length, "the synthetic row has no quoted comma");
        cells[epistemic] = "lots";
        lines[1] = string.Join(',', cells);
        File.WriteAllLines(predictions, lines);
        var e2 = Assert.Throws<InputException>(() => RunReport.Write(dir));
        Assert.Equal(predictions, e2.File);
        Assert.Equal("epistemic", e2.Field);
    }
}
