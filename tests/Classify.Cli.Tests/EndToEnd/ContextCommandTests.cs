using System.Globalization;
using Classify.Cli.Tests.BadInput;
using Classify.Cli.Tests.Infrastructure;
using Classify.Core.Data;
using Classify.Core.Prediction;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// A scratch transformer trained on AnnoMI conversations with two preceding turns, speaker tags and the current speaker
/// (issue 15 item 3), shared by <see cref="ContextCommandTests"/>.
/// </summary>
public sealed class ContextTransformer : IDisposable
{
    internal const string Name = "ctx";

    public ContextTransformer()
    {
        Workspace = new Workspace();
        var config = Workspace.Write("ctx.yaml", $"""
            name: {Name}
            seed: 7
            data:
              path: {DataSlices.AnnoMiConversations}
              text_col: utterance_text
              label_col: main_therapist_behaviour
              group_col: transcript_id
              order_col: utterance_id
              speaker_col: interlocutor
            context:
              turns: 2
              speaker_tags: true
              current_speaker: true
            engine: transformer
            transformer:
              model: scratch:bert-tiny
              learning_rate: 0.001
              per_device_train_batch_size: 16
              per_device_eval_batch_size: 64
              max_steps: 4
              max_length: 96
            """);
        Train = CliRunner.RunProcess(["train", "--config", config, "--runs-dir", Workspace.RunsDir, "--no-report"],
            timeout: TimeSpan.FromMinutes(3), environment: new Dictionary<string, string?> { ["CLASSIFY_CACHE"] = Workspace.PathOf("cache") });
    }

    internal Workspace Workspace { get; }
    internal CliResult Train { get; }
    internal string RunDir => Path.Combine(Workspace.RunsDir, Name);
    internal string ModelDir => Path.Combine(RunDir, "model");

    public void Dispose() => Workspace.Dispose();
}

/// <summary>
/// A context model scores a file as it was trained: the test predictions of <c>train</c>, <c>eval</c>,
/// <c>predict --input</c> and the C# API agree, using the package's group, order and speaker columns.
/// </summary>
public sealed class ContextCommandTests(ContextTransformer model) : IClassFixture<ContextTransformer>, IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private void Trained() => Assert.True(model.Train.ExitCode == 0, model.Train.ToString());

    /// <summary>id → probabilities of a predictions CSV (train/eval: p_ columns after id,text,gold,pred; predict: after id,text,labels).</summary>
    private static Dictionary<string, double[]> Probabilities(string csvPath)
    {
        var table = CsvTable.Read(csvPath);
        var columns = Enumerable.Range(0, table.Header.Count).Where(i => table.Header[i].StartsWith("p_", StringComparison.Ordinal)).ToArray();
        return table.Rows.ToDictionary(r => r[0]!, r => columns.Select(i => double.Parse(r[i]!, CultureInfo.InvariantCulture)).ToArray());
    }

    private static void AssertSame(Dictionary<string, double[]> expected, Dictionary<string, double[]> actual, string what)
    {
        foreach (var (id, p) in expected)
        {
            Assert.True(actual.TryGetValue(id, out var q), $"{what}: row {id} missing");
            for (int k = 0; k < p.Length; k++)
                Assert.True(Math.Abs(p[k] - q![k]) <= 1e-6, $"{what}, row {id}, label {k}: {p[k]} vs {q[k]}");
        }
    }

    [Fact]
    public void Train_eval_predict_and_the_library_give_the_same_probabilities()
    {
        Trained();
        var context = ModelManifest.Load(model.ModelDir).Context!;
        Assert.Equal((2, true, true, "transcript_id", "utterance_id", "interlocutor"),
            (context.Turns, context.SpeakerTags, context.CurrentSpeaker, context.GroupColumn, context.OrderColumn, context.SpeakerColumn));
        var trained = Probabilities(Path.Combine(model.RunDir, "predictions", "test.csv"));
        Assert.True(trained.Count > 50, $"{trained.Count} test rows");

        // eval on the whole file: no --group-col needed, the package names the training data's columns.
        CliRunner.Ok("eval", "--model", model.ModelDir, "--data", DataSlices.AnnoMiConversations, "--text-col", "utterance_text",
            "--label-col", "main_therapist_behaviour", "--name", "ev", "--runs-dir", _ws.RunsDir, "--no-report");
        AssertSame(trained, Probabilities(Path.Combine(_ws.RunsDir, "ev", "predictions", "test.csv")), "eval");

        var scored = _ws.PathOf("scored.csv");
        CliRunner.Ok("predict", "--model", model.ModelDir, "--input", DataSlices.AnnoMiConversations, "--text-col", "utterance_text", "--output", scored);
        AssertSame(trained, Probabilities(scored), "predict --input");

        using var classifier = TextClassifier.Load(model.ModelDir);
        var rows = DatasetLoader.ReadUnlabelled(DataSlices.AnnoMiConversations, classifier.ReadingOptions(new DatasetOptions { TextColumn = "utterance_text" })).ToList();
        Assert.StartsWith("therapist: ", rows[0].Text);   // current_speaker: the model sees who speaks
        var probabilities = classifier.PredictProbabilities(rows.Select(r => new TextInput(r.Text, r.Context)).ToArray(), 64);
        AssertSame(trained, rows.Select((r, i) => (r.Id, p: probabilities[i])).ToDictionary(x => x.Id, x => x.p), "C#");
    }

    [Fact]
    public void A_file_without_the_conversation_column_is_refused_naming_it()
    {
        Trained();
        var table = CsvTable.Read(DataSlices.AnnoMiConversations);
        var noGroup = _ws.Write("no-group.csv", "utterance_text,interlocutor\n" +
            string.Join("\n", table.Rows.Take(20).Select(r => $"\"{r[table.Header.IndexOf("utterance_text")]!.Replace("\"", "\"\"")}\",{r[table.Header.IndexOf("interlocutor")]}")) + "\n");
        var result = CliRunner.Run("predict", "--model", model.ModelDir, "--input", noGroup, "--text-col", "utterance_text", "--output", _ws.PathOf("out.csv"));
        BadInputTests.AssertInputError(_ws, result, "'transcript_id'", "group_col");
        Assert.False(File.Exists(_ws.PathOf("out.csv")));
        // Naming another column with the flag works.
        var renamed = _ws.Write("renamed.csv", File.ReadAllText(DataSlices.AnnoMiConversations).Replace("transcript_id,", "conversation,"));
        CliRunner.Ok("predict", "--model", model.ModelDir, "--input", renamed, "--text-col", "utterance_text", "--group-col", "conversation", "--output", _ws.PathOf("renamed-out.csv"));
    }

    [Fact]
    public void Texts_given_as_arguments_get_a_warning_that_they_have_no_context()
    {
        Trained();
        var result = CliRunner.Ok("predict", "--model", model.ModelDir, "How are you feeling about that?");
        Assert.Contains("2 preceding turn(s) as context", result.StderrUnwrapped);
        Assert.Contains("--input", result.StderrUnwrapped);
    }
}
