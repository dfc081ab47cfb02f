using System.Text;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Linear.Engine;
using Classify.Reports.Summary;

namespace Classify.Reports.Tests.Reports;

/// <summary>The library alone, as a C# caller uses it: no CLI, same run folder as <c>classify train</c>.</summary>
public sealed class LibraryExperimentTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>The first 900 usable rows of the tweet-sentiment training file (real text, three classes).</summary>
    private string TweetSlice()
    {
        var source = TestPaths.SharedData("tweet-sentiment-extraction", "train.csv");
        using var reader = RecordReader.Open(source, new RecordReaderOptions { Format = DataFormat.Csv });
        int text = reader.Columns.ToList().IndexOf("text"), label = reader.Columns.ToList().IndexOf("sentiment"), id = reader.Columns.ToList().IndexOf("textID");
        var path = Path.Combine(_dir, "tweets.csv");
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
        {
            var csv = new Classify.Core.IO.CsvWriter(writer);
            csv.WriteRow(["id", "text", "label"]);
            foreach (var row in reader.ReadAll().Where(r => !string.IsNullOrWhiteSpace(r[text])).Take(900))
                csv.WriteRow([row[id]!, row[text]!, row[label]!]);
        }
        return path;
    }

    [Fact]
    public void An_experiment_run_from_CSharp_writes_the_report_model_card_and_summary_and_its_model_predicts()
    {
        LinearEngine.Register();
        var config = ExperimentConfig.Load(null, [$"name=lib", $"runs_dir={Path.Combine(_dir, "runs")}", $"data.path={TweetSlice()}", "data.id_col=id"]);
        var artifacts = new RunArtifacts { Targets = [TargetCheck.Parse("test.accuracy>=0.3")] };
        var log = new List<string>();

        var result = new Experiment(config) { Artifacts = [artifacts], Log = log.Add }.Run();

        Assert.True(File.Exists(result.Layout.ReportHtml), "report.html");
        Assert.NotEmpty(Directory.GetFiles(result.Layout.PlotsDirectory, "*.png"));
        Assert.True(File.Exists(Path.Combine(result.Layout.ModelDirectory, "MODEL_CARD.md")), "model card");
        Assert.True(File.Exists(result.Layout.SummaryReport));
        Assert.True(artifacts.Summary!.AllTargetsMet);
        Assert.Contains(log, l => l.StartsWith("report: "));

        using var classifier = TextClassifier.Load(result.Layout.ModelDirectory);
        var prediction = classifier.Predict("I love this so much, what a wonderful day");
        Assert.Contains(prediction.Label, new[] { "negative", "neutral", "positive" });
        Assert.Equal(1.0, prediction.Probabilities.Values.Sum(), 9);
    }
}
