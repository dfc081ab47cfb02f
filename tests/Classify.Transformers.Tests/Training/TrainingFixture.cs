using System.Text.Json.Nodes;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Randomness;
using Classify.Core.Runs;
using Classify.Core.Training;
using Classify.Transformers.Training;

namespace Classify.Transformers.Tests.Training;

/// <summary>Trainings re-seed torch's global generator, so they must not run concurrently with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    public const string Name = "transformer training";
}

/// <summary>Requests, toy data and temporary run folders for trainer tests.</summary>
internal static class TrainingFixture
{
    private static readonly string[] Filler = ["a", "i", "the", "was", "is", "it", "you", "this", "we", "very"];
    private static readonly string[] Positive = ["good", "great", "love"];
    private static readonly string[] Negative = ["not", "day"];

    public static readonly LabelSchema Binary = new(TaskKind.Binary, ["negative", "positive"]);

    /// <summary>A trivially separable task: the label is given by one key word among filler words.</summary>
    public static List<Example> ToyExamples(int count, int seed)
    {
        var random = new SeededRandom((ulong)seed);
        var examples = new List<Example>();
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            var words = Enumerable.Range(0, 2 + random.NextInt(5)).Select(_ => Filler[random.NextInt(Filler.Length)]).ToList();
            var keys = label == 1 ? Positive : Negative;
            words.Insert(random.NextInt(words.Count + 1), keys[random.NextInt(keys.Length)]);
            examples.Add(new Example($"{seed}-{i}", string.Join(' ', words), [label]));
        }
        return examples;
    }

    public static string TempRun(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "classify-trainer-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A copy of a fixture with every dropout probability set to 0 (for exact comparisons).</summary>
    public static string WithoutDropout(string fixture)
    {
        var dir = TempRun(fixture + "-nodropout");
        foreach (var file in Directory.GetFiles(TestPaths.Fixture(fixture)))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        var configPath = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        foreach (var key in new[] { "hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout" })
            config[key] = 0.0;
        File.WriteAllText(configPath, config.ToJsonString());
        return dir;
    }

    public static TrainingRequest Request(string runDir, JsonObject options, IReadOnlyList<Example> train, IReadOnlyList<Example> validation,
        LabelSchema? schema = null, IProgress<ProgressUpdate>? progress = null, ContextOptions? context = null,
        IReadOnlyList<ITrainerCallback>? callbacks = null, Action<string>? log = null)
    {
        schema ??= Binary;
        var run = new RunLayout(runDir);
        return new TrainingRequest
        {
            Schema = schema,
            Train = train,
            Validation = validation,
            Options = TransformerOptions.FromJson(options, schema),
            Seed = 42,
            Run = run,
            Manifest = new ModelManifest { Engine = "transformer", Task = schema.Kind.ToName(), Labels = schema.Labels, Context = context },
            Progress = progress,
            Callbacks = callbacks ?? [],
            Log = log,
        };
    }

    /// <summary>Writes the package as the experiment does (run/model, atomically, with the predictor's manifest); returns its folder.</summary>
    public static string SavePackage(TrainingOutcome outcome, string runDir)
    {
        var layout = new RunLayout(runDir);
        AtomicFile.WriteDirectory(layout.ModelDirectory, dir => outcome.Model.Save(dir, outcome.Model.Predictor.Manifest));
        return layout.ModelDirectory;
    }

    public static JsonObject Options(string model, params (string Key, JsonNode? Value)[] settings)
    {
        var options = new JsonObject { ["model"] = model };
        foreach (var (key, value) in settings) options[key] = value;
        return options;
    }

    public static double[] Losses(IEnumerable<JsonObject> log) =>
        log.Where(r => r.ContainsKey("loss")).Select(r => r["loss"]!.GetValue<double>()).ToArray();
}

/// <summary>A progress sink that runs synchronously on the training thread (unlike <see cref="Progress{T}"/>).</summary>
internal sealed class InlineProgress(Action<ProgressUpdate> report) : IProgress<ProgressUpdate>
{
    public void Report(ProgressUpdate value) => report(value);
}
