using System.Text.Json;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Core.Tests.Data;
using Classify.Core.Tests.Runs;
using Classify.Core.Training;

namespace Classify.Core.Tests.Prediction;

public sealed class FileScorerTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A naive-Bayes model of "good"/"bad" words (the test engine), as a classifier.</summary>
    private TextClassifier Classifier()
    {
        var schema = new LabelSchema(TaskKind.Binary, ["neg", "pos"]);
        var train = Enumerable.Range(0, 40).Select(i => new Example($"{i}", i % 2 == 0 ? $"good great {i}" : $"bad awful {i}", [i % 2 == 0 ? 1 : 0])).ToArray();
        var options = new NaiveBayesOptions(1.0);
        var outcome = new NaiveBayesTrainer().Train(new TrainingRequest
        {
            Schema = schema, Train = train, Validation = [], Options = options, Run = new RunLayout(Path.Combine(_dir.Path, "run")),
            Manifest = new ModelManifest { Engine = NaiveBayesTrainer.Name, Task = schema.Kind.ToName(), Labels = schema.Labels },
        }, options, CancellationToken.None);
        return new TextClassifier(outcome.Model.Predictor);
    }

    [Fact]
    public void Jsonl_output_has_one_prediction_line_per_row_with_its_id()
    {
        using var classifier = Classifier();
        var input = _dir.Write("in.csv", "id,text\na1,good great day\na2,awful bad service\n");
        var output = Path.Combine(_dir.Path, "out.jsonl");
        var count = FileScorer.Score(classifier, input, output, new FileScoringOptions { IdColumn = "id", BatchSize = 1 });
        Assert.Equal(2, count);
        var lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["a1", "a2"], lines.Select(l => l.GetProperty("id").GetString()));
        Assert.Equal("pos", lines[0].GetProperty("labels")[0].GetString());
        Assert.Equal("neg", lines[1].GetProperty("labels")[0].GetString());
        Assert.Equal(PredictionJson.Format(classifier.Predict("good great day"), "a1"), File.ReadAllLines(output)[0]);
    }

    [Fact]
    public void Csv_output_has_a_probability_column_per_label_then_the_uncertainty_columns()
    {
        using var classifier = Classifier();
        var input = _dir.Write("in.csv", "text\ngood\nbad\nmeh\n");
        var output = Path.Combine(_dir.Path, "out.csv");
        FileScorer.Score(classifier, input, output);
        var lines = File.ReadAllLines(output);
        Assert.Equal("id,text,labels,p_neg,p_pos,predictive_entropy,aleatoric,epistemic,std_neg,std_pos", lines[0]);
        Assert.Equal(4, lines.Length);
    }

    [Fact]
    public void The_output_may_not_replace_the_input_and_nothing_is_written_on_bad_input()
    {
        using var classifier = Classifier();
        var input = _dir.Write("in.csv", "text\ngood\n");
        var e = Assert.Throws<InputException>(() => FileScorer.Score(classifier, input, input));
        Assert.Equal("--output", e.Field);
        Assert.Equal("text\ngood\n", File.ReadAllText(input));
        var missingColumn = _dir.Write("bad.csv", "body\ngood\n");
        var output = Path.Combine(_dir.Path, "never.csv");
        Assert.Throws<InputException>(() => FileScorer.Score(classifier, missingColumn, output));
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }
}
