using System.Text.Json;
using Classify.Core.IO;
using Classify.Reports.ModelCard;
using Classify.Reports.Summary;
using YamlDotNet.RepresentationModel;

namespace Classify.Reports.Tests.Reports;

public class ModelCardAndSummaryTests
{
    [Fact]
    public void ModelCard_HasFrontMatterSectionsAndTheSameFactsAsTheJson()
    {
        using var tmp = new TempDirectory("card");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 150, withLog: false);

        var files = ModelCardWriter.Write(dir);

        Assert.Equal(Path.Combine(dir, "model", "MODEL_CARD.md"), files.Markdown);
        var md = File.ReadAllText(files.Markdown);
        Assert.StartsWith("---\nlicense: mit\n", md);
        var front = md.Split("---\n")[1];
        var yaml = new YamlStream();
        yaml.Load(new StringReader(front));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("text-classification", root["pipeline_tag"].ToString());
        var results = (YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)root["model-index"])[0])["results"];
        Assert.Equal(2, results.Children.Count);

        foreach (var section in new[] { "## Model description", "### Labels", "## Training data", "## Preprocessing", "## Model and hyperparameters",
                     "## Evaluation", "### Per-class scores (test)", "### Confusion matrix (test)", "## Intended use", "## Limitations and biases" })
            Assert.Contains(section, md);
        Assert.Contains("| 0 | negative | The text expresses negative. |", md);
        Assert.Contains("- lowercased", md);
        Assert.Contains("- URLs removed", md);
        Assert.Contains("`model.C`", md);

        using var json = JsonDocument.Parse(File.ReadAllText(files.Json));
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics", "test.json")));
        var test = json.RootElement.GetProperty("evaluation").EnumerateArray().Single(e => e.GetProperty("split").GetString() == "test");
        double macroF1 = metrics.RootElement.GetProperty("macro_f1").GetDouble();
        Assert.Equal(macroF1, test.GetProperty("metrics").GetProperty("macro_f1").GetDouble());
        Assert.Contains($"{macroF1:0.0000}", md);
        var matrix = metrics.RootElement.GetProperty("confusion_matrix").GetProperty("matrix");
        Assert.Contains($"| **negative** | {string.Join(" | ", matrix[0].EnumerateArray().Select(x => x.GetInt64()))} |", md);
    }

    [Fact]
    public void ModelCard_ForAMultilabelRun_ListsPerLabelConfusion()
    {
        using var tmp = new TempDirectory("card28");
        var dir = SyntheticRun.GoEmotions28(tmp.Path, testRows: 400, valRows: 200);
        var md = File.ReadAllText(ModelCardWriter.Write(dir).Markdown);
        Assert.Contains("- multi-label-classification", md);
        Assert.Contains("### Per-label confusion (test)", md);
        Assert.Contains("| grief |", md);
        Assert.Contains("Subset accuracy", md);
    }

    [Theory]
    [InlineData("macro_f1>=0.85", "test", "macro_f1", TargetComparison.GreaterOrEqual, 0.85)]
    [InlineData("test.accuracy>0.7", "test", "accuracy", TargetComparison.Greater, 0.7)]
    [InlineData(" val.macro_recall >= 0.5 ", "val", "macro_recall", TargetComparison.GreaterOrEqual, 0.5)]
    [InlineData("validation.accuracy>0.1", "val", "accuracy", TargetComparison.Greater, 0.1)]
    [InlineData("log_loss<=0.6", "test", "log_loss", TargetComparison.LessOrEqual, 0.6)]
    [InlineData("TEST.Hamming_Loss<1e-1", "test", "hamming_loss", TargetComparison.Less, 0.1)]
    public void TargetCheck_Parses(string text, string split, string metric, TargetComparison comparison, double value)
    {
        var t = TargetCheck.Parse(text);
        Assert.Equal(new TargetCheck(split, metric, comparison, value), t);
        Assert.Equal(t, TargetCheck.Parse(t.ToString()));
    }

    [Theory]
    [InlineData("macro_f1=>0.8")]
    [InlineData("macro_f1==0.8")]
    [InlineData("macro_f1>=")]
    [InlineData("train.macro_f1>=0.8")]
    [InlineData("f1_macro>=0.8")]
    [InlineData("macro_f1>=abc")]
    [InlineData("")]
    public void TargetCheck_RejectsMalformedTargets(string text)
    {
        var e = Assert.Throws<InputException>(() => TargetCheck.Parse(text));
        Assert.Equal("target", e.Field);
    }

    [Fact]
    public void TargetCheck_ComparesAtTheBoundary()
    {
        Assert.True(TargetCheck.Parse("macro_f1>=0.8").IsMet(0.8));
        Assert.False(TargetCheck.Parse("macro_f1>0.8").IsMet(0.8));
        Assert.True(TargetCheck.Parse("log_loss<=0.5").IsMet(0.5));
        Assert.False(TargetCheck.Parse("log_loss<0.5").IsMet(0.5));
    }

    [Fact]
    public void SummaryReport_ReportsMetAndNotMet()
    {
        using var tmp = new TempDirectory("summary");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 150, withLog: false);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics", "test.json")));
        double f1 = metrics.RootElement.GetProperty("macro_f1").GetDouble();

        var met = SummaryReport.Write(dir, [TargetCheck.Parse($"macro_f1>={f1 - 0.01:R}"), TargetCheck.Parse("val.accuracy>0.1")]);
        Assert.True(met.AllTargetsMet);
        Assert.Equal(f1, met.Targets[0].Actual);
        Assert.Contains("All targets met: yes", File.ReadAllText(met.Path));

        var notMet = SummaryReport.Write(dir, [TargetCheck.Parse("macro_f1>=0.99"), TargetCheck.Parse("test.samples_f1>=0.1"), TargetCheck.Parse("accuracy>0.1")]);
        Assert.False(notMet.AllTargetsMet);
        Assert.Equal([false, false, true], notMet.Targets.Select(t => t.Met));
        Assert.Null(notMet.Targets[1].Actual); // multiclass runs have no samples_f1
        var text = File.ReadAllText(notMet.Path);
        Assert.Contains("test.macro_f1>=0.99", text);
        Assert.Contains("not met", text);
        Assert.Contains("All targets met: no", text);
        Assert.Contains("macro_f1", text);
        Assert.Contains("sentiment-3", text);

        var plain = SummaryReport.Write(dir);
        Assert.True(plain.AllTargetsMet);
        Assert.DoesNotContain("Targets", plain.Text);
    }
}
