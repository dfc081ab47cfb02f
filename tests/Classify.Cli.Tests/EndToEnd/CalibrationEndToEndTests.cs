using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// <c>calibration:</c> from the command line to the files: a multi-label GoEmotions slice trained with per-label
/// temperatures, whose package then predicts with them.
/// </summary>
public sealed class CalibrationEndToEndTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private static JsonObject ReadJson(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    [Fact]
    public void Per_label_temperatures_are_fitted_stored_reported_and_applied_by_predict()
    {
        var result = CliRunner.Ok("train", "--data", DataSlices.GoEmotions, "--id-col", "id", "--split-col", "split", "--multilabel",
            "--labels-file", DataSlices.EmotionsFile, "--name", "goemo-cal", "--runs-dir", _ws.RunsDir,
            "--set", "linear.tfidf.max_features=3000", "--set", "calibration.method=temperature", "--set", "calibration.per_label=true");
        Assert.Contains("28 label temperatures", result.StderrUnwrapped);
        var runDir = Path.Combine(_ws.RunsDir, "goemo-cal");

        var manifest = ReadJson(Path.Combine(runDir, "model", "classify.json"));
        Assert.Equal(2, (int)manifest["format_version"]!);
        Assert.Equal(1.0, (double)manifest["temperature"]!);
        var temperatures = manifest["label_temperatures"]!.AsArray().Select(t => (double)t!).ToArray();
        Assert.Equal(28, temperatures.Length);
        Assert.Contains(temperatures, t => t != 1.0);

        var val = ReadJson(Path.Combine(runDir, "metrics", "val.json"));
        var calibration = val["calibration"]!;
        Assert.Equal(temperatures, calibration["label_temperatures"]!.AsArray().Select(t => (double)t!));
        Assert.True((double)calibration["after"]!["nll"]! < (double)calibration["before"]!["nll"]!);
        Assert.Equal((double)val["ece"]!, (double)calibration["after"]!["ece"]!);
        Assert.True(File.Exists(Path.Combine(runDir, "plots", "reliability_val.png")));
        Assert.Contains("Reliability diagram, test", File.ReadAllText(Path.Combine(runDir, "report.html")));

        // predict applies the label temperatures: its probabilities are those the run wrote for the same text.
        using var parser = new Microsoft.VisualBasic.FileIO.TextFieldParser(Path.Combine(runDir, "predictions", "val.csv")) { Delimiters = [","], HasFieldsEnclosedInQuotes = true };
        var header = parser.ReadFields()!;
        var row = parser.ReadFields()!;
        var predicted = JsonNode.Parse(CliRunner.Ok("predict", "--model", Path.Combine(runDir, "model"), "--format", "json", row[1]).Stdout.Trim())!;
        foreach (var (label, p) in predicted["probabilities"]!.AsObject())
            Assert.Equal(double.Parse(row[Array.IndexOf(header, "p_" + label)], CultureInfo.InvariantCulture), (double)p!, 12);
    }
}
