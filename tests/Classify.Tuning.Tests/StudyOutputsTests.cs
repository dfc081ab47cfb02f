using Classify.Core.IO;
using Classify.Tuning.Space;
using Classify.Tuning.Storage;
using Classify.Tuning.Study;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Tests;

/// <summary>The in-memory storage's contract, parameter importances and the tuning tables.</summary>
public sealed class StudyOutputsTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory("classify-tuning-tests-");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private static Dictionary<string, object?> P(double c) => new() { ["linear.logreg.C"] = c };

    private static StudyTrial Trial(int number, TrialState state, double? value, IReadOnlyDictionary<string, object?> parameters) =>
        new(number + 1, number, state, parameters, value, new Dictionary<long, double>(), new DateTime(2026, 1, 1, 0, 0, number, DateTimeKind.Utc),
            new DateTime(2026, 1, 1, 0, 0, number + 1, DateTimeKind.Utc), null, "w:1:a", null, null, state == TrialState.Failed ? "boom, \"quoted\"" : null);

    [Fact]
    public void The_memory_storage_gives_each_grid_point_to_one_live_trial()
    {
        using var storage = new InMemoryStudyStorage();
        var study = storage.CreateOrLoadStudy(new StudyDefinition("s", StudyDirection.Maximize, "macro_f1@val", "{\"space\":1}"));
        var first = storage.CreateRunningTrial(study.Id, P(1), "k1", "w")!;
        Assert.Null(storage.CreateRunningTrial(study.Id, P(1), "k1", "w"));          // held while running
        storage.FinishTrial(first.Id, TrialState.Failed, null, "x");
        Assert.NotNull(storage.CreateRunningTrial(study.Id, P(1), "k1", "w"));       // a failed trial frees its point
        Assert.Throws<InvalidOperationException>(() => storage.FinishTrial(first.Id, TrialState.Complete, 1));   // ended twice
        Assert.Equal([0, 1], storage.GetTrials(study.Id).Select(t => t.Number));

        // The same name with another definition is refused, saying what differs; the same definition loads the study.
        Assert.Equal(study.Id, storage.CreateOrLoadStudy(study.Definition).Id);
        var e = Assert.Throws<InputException>(() => storage.CreateOrLoadStudy(study.Definition with { DefinitionJson = "{\"space\":2}" }));
        Assert.Contains("space", e.Reason);
        Assert.Equal("tune.study", e.Field);
    }

    [Fact]
    public void Importances_find_the_parameter_that_drives_the_objective()
    {
        var space = new SearchSpace([new FloatDistribution("a", 0, 1), new FloatDistribution("b", 0.001, 1, Log: true), new ChoiceDistribution("c", ["x", "y"])]);
        var random = new Random(5);
        var trials = Enumerable.Range(0, 40).Select(i =>
        {
            var p = new Dictionary<string, object?> { ["a"] = random.NextDouble(), ["b"] = Math.Exp(Math.Log(0.001) * random.NextDouble()), ["c"] = i % 2 == 0 ? "x" : "y" };
            return Trial(i, TrialState.Complete, Math.Log((double)p["b"]!) + 0.01 * (double)p["a"]!, p);
        }).ToArray();
        var importances = ParameterImportance.Compute(space, trials, seed: 3);
        Assert.Equal("b", importances[0].Key);
        Assert.True(importances[0].Importance > 0.8, $"b explains the objective: {importances[0].Importance}");
        Assert.Equal(1, importances.Sum(i => i.Importance), 6);
        Assert.Equal(importances, ParameterImportance.Compute(space, trials, seed: 3));   // seeded
        Assert.Empty(ParameterImportance.Compute(space, trials.Take(ParameterImportance.MinimumTrials - 1).ToArray()));
    }

    [Fact]
    public void Trials_csv_has_one_row_per_trial_with_parameters_state_value_and_error()
    {
        var space = new SearchSpace([new ChoiceDistribution("linear.tfidf.ngram_range", [new List<object?> { 1L, 2L }]), new FloatDistribution("linear.logreg.C", 0.1, 10)]);
        var p = new Dictionary<string, object?> { ["linear.tfidf.ngram_range"] = new List<object?> { 1L, 2L }, ["linear.logreg.C"] = 0.5 };
        var pruned = Trial(1, TrialState.Pruned, 0.25, p) with { IntermediateValues = new Dictionary<long, double> { [1] = 0.2, [2] = 0.25 } };
        var path = Path.Combine(_dir, "trials.csv");
        TuningOutputs.WriteTrials(path, space, [Trial(0, TrialState.Complete, 0.75, p), pruned, Trial(2, TrialState.Failed, null, p)]);
        var lines = File.ReadAllLines(path);
        Assert.Equal("number,state,linear.tfidf.ngram_range,linear.logreg.C,value,intermediate_count,last_step,seconds,worker,retry_of,started_utc,finished_utc,error", lines[0]);
        Assert.StartsWith("0,complete,\"[1,2]\",0.5,0.75,0,,1,w:1:a,", lines[1]);
        Assert.StartsWith("1,pruned,\"[1,2]\",0.5,0.25,2,2,1,", lines[2]);
        Assert.EndsWith(",\"boom, \"\"quoted\"\"\"", lines[3]);
        Assert.Equal(4, lines.Length);
    }

    [Fact]
    public void The_comparison_lists_studies_of_the_same_task_from_their_study_json()
    {
        var space = new SearchSpace([new FloatDistribution("linear.logreg.C", 0.1, 10)]);
        TuningSnapshot Snapshot(string name, string sampler, string baseHash, double best) => new(
            new TuneSettings
            {
                Study = name, Metric = "macro_f1", Direction = StudyDirection.Maximize, On = ObjectiveSplit.Validation,
                Sampler = new SamplerSettings(sampler, 1), Pruner = new PrunerSettings("none"), Space = space,
            },
            new StudyInfo(1, new StudyDefinition(name, StudyDirection.Maximize, "macro_f1@val", $"{{\"base_config_sha256\":\"{baseHash}\"}}"), DateTime.UtcNow),
            [Trial(0, TrialState.Complete, best, P(1)), Trial(1, TrialState.Pruned, 0.1, P(2))], Trial(0, TrialState.Complete, best, P(1)), [], []);
        var runs = Path.Combine(_dir, "runs");
        foreach (var (name, sampler, hash, best) in new[] { ("t-grid", "grid", "h1", 0.6), ("t-random", "random", "h1", 0.65), ("other-task", "tpe", "h2", 0.9) })
        {
            var s = Snapshot(name, sampler, hash, best);
            new TuningOutputs().Write(new TuningLayout(Path.Combine(runs, name)), s with { Comparison = [TuningOutputs.ComparisonRow(s)] }, null, default);
        }
        var rows = TuningOutputs.Compare(runs, Snapshot("t-tpe", "tpe", "h1", 0.7));
        Assert.Equal(["grid", "random", "tpe"], rows.Select(r => r.Sampler));
        Assert.Equal([0.6, 0.65, 0.7], rows.Select(r => r.BestValue!.Value));
        Assert.All(rows, r => Assert.Equal((1, 1, 2.0), (r.Complete, r.Pruned, r.WallSeconds)));
    }
}

public sealed class StudyComponentsTests
{
    [Theory]
    [InlineData("postgresql://tuner:s3cret@db.example:5432/studies", "postgresql://tuner:***@db.example:5432/studies")]
    [InlineData("postgresql://tuner@db.example/studies", "postgresql://tuner@db.example/studies")]
    [InlineData("runs/studies.db", "runs/studies.db")]
    [InlineData("memory:", "memory:")]
    public void Storage_urls_lose_their_password_in_messages(string url, string shown) => Assert.Equal(shown, StudyComponents.WithoutSecrets(url));

    [Fact]
    public void Unknown_components_are_input_errors_naming_the_key()
    {
        var e = Assert.Throws<InputException>(() => StudyComponents.OpenStorage("postgresql://u:pw@127.0.0.1:1/x", "runs/studies.db"));
        Assert.Equal("tune.storage", e.Field);
        Assert.DoesNotContain("pw", e.Message);
        Assert.Null(StudyComponents.CreatePruner(new PrunerSettings("none")));
        Assert.IsType<InMemoryStudyStorage>(StudyComponents.OpenStorage("memory:", "unused.db")).Dispose();
    }
}
