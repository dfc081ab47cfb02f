using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Tuning.Space;
using Classify.Tuning.Study;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Tests;

/// <summary>The <c>tune:</c> section and its space, read from real YAML files so errors carry the file and line.</summary>
public sealed class SearchSpaceParserTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory("classify-tuning-tests-");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    // A config whose tune: section is the given lines (indented two spaces under tune:); the tune section starts on line 8.
    private string Config(string tuneBody, string engine = "linear")
    {
        var path = Path.Combine(_dir, $"c{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"""
            name: tweets
            data:
              path: tweets.csv
            engine: {engine}
            {engine}:
              {(engine == "linear" ? "tfidf: {min_df: 1}" : "model: scratch:bert-mini")}
            seed: 7
            tune:
            {string.Join("\n", tuneBody.Split('\n').Select(l => "  " + l))}
            """);
        return path;
    }

    private static TuneSettings Read(string path, params string[] overrides) => TuneSettings.Read(ExperimentConfig.Load(path, overrides));

    [Fact]
    public void Every_distribution_is_read_in_config_order_with_its_options()
    {
        var settings = Read(Config("""
            sampler: {name: random, seed: 3}
            n_trials: 12
            space:
              linear.tfidf.ngram_range: {choice: [[1, 1], [1, 2]]}
              linear.tfidf.min_df: {int: [1, 5], step: 2}
              linear.logreg.C: {log_uniform: [0.01, 100]}
              linear.tfidf.max_df: {uniform: [0.5, 1.0], step: 0.1}
              linear.tfidf.max_features: {int: [100, 10000], log: true}
              cleaning.lowercase: {choice: [true, false]}
            """));
        var p = settings.Space.Parameters;
        Assert.Equal(["linear.tfidf.ngram_range", "linear.tfidf.min_df", "linear.logreg.C", "linear.tfidf.max_df", "linear.tfidf.max_features", "cleaning.lowercase"],
            p.Select(x => x.Key));
        var choice = Assert.IsType<ChoiceDistribution>(p[0]);
        Assert.Equal(1, choice.IndexOf(new List<object?> { 1L, 2L }));
        Assert.Equal(new IntDistribution("linear.tfidf.min_df", 1, 5, 2), p[1]);
        Assert.Equal(new FloatDistribution("linear.logreg.C", 0.01, 100, null, Log: true), p[2]);
        Assert.Equal(new FloatDistribution("linear.tfidf.max_df", 0.5, 1.0, 0.1), p[3]);
        Assert.Equal(new IntDistribution("linear.tfidf.max_features", 100, 10000, 1, Log: true), p[4]);
        Assert.Equal("random", settings.Sampler.Name);
        Assert.Equal(3, settings.Sampler.Seed);
        Assert.Equal(12, settings.Trials);
        Assert.Equal("tweets-random", settings.Study);   // default: <name>-<sampler>
    }

    [Fact]
    public void Defaults_follow_the_metric_and_the_config()
    {
        var settings = Read(Config("""
            metric: log_loss
            space:
              linear.logreg.C: {choice: [1, 2]}
            """));
        Assert.Equal(StudyDirection.Minimize, settings.Direction);   // a loss is minimised
        Assert.Equal("tpe", settings.Sampler.Name);
        Assert.Equal(7, settings.Sampler.Seed);                        // the config's seed
        Assert.Equal("none", settings.Pruner.Name);
        Assert.Equal(ObjectiveSplit.Validation, settings.On);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.StaleAfter);   // three 10 s heartbeats
        Assert.Equal(StudyDirection.Maximize, Read(Config("space:\n  linear.logreg.C: {choice: [1, 2]}")).Direction);
    }

    [Theory]
    [InlineData("linear.logreg.C: {choice: []}", "empty choice")]
    [InlineData("linear.logreg.C: {choice: [1, 1]}", "appears twice")]
    [InlineData("linear.logreg.C: {uniform: [10, 1]}", "greater than high")]
    [InlineData("linear.logreg.C: {log_uniform: [0, 1]}", "low > 0")]
    [InlineData("linear.logreg.C: {log_uniform: [-1, 1]}", "low > 0")]
    [InlineData("linear.tfidf.max_df: {uniform: [0.5, 1.0], step: 0.3}", "does not divide")]
    [InlineData("linear.tfidf.min_df: {int: [1, 6], step: 2}", "does not divide")]
    [InlineData("linear.tfidf.min_df: {int: [1.5, 6]}", "whole numbers")]
    [InlineData("linear.logreg.C: {log_uniform: [0.1, 1], step: 0.1}", "takes no step")]
    [InlineData("linear.logreg.C: {normal: [0, 1]}", "expected one distribution")]
    [InlineData("linear.logreg.C: {choice: [1], uniform: [0, 1]}", "give one distribution")]
    [InlineData("linear.logreg.C: {uniform: [0, 1], stepp: 0.1}", "unknown setting")]
    [InlineData("linear.logreg.C: 5", "expected a mapping")]
    [InlineData("transformer.learning_rate: {choice: [0.1]}", "would change nothing")]
    [InlineData("data.path: {choice: [a.csv, b.csv]}", "cannot vary between trials")]
    [InlineData("seed: {choice: [1, 2]}", "dotted config key")]
    [InlineData("modell.C: {choice: [1, 2]}", "unknown config section 'modell'")]
    public void A_bad_space_entry_names_the_file_line_and_key(string entry, string reason)
    {
        var path = Config($"space:\n  {entry}");
        var key = entry[..entry.IndexOf(':')];
        var e = Assert.Throws<InputException>(() => Read(path));
        Assert.Contains(reason, e.Reason);
        Assert.Equal(path, e.File);
        Assert.Equal(10, e.Line);                    // the entry's line (tune: is line 8, space: line 9)
        Assert.StartsWith($"tune.space.{key}", e.Field);
        Assert.StartsWith($"{path}:10", e.Message);  // one line: file:line, key, reason
    }

    [Fact]
    public void An_empty_space_and_unknown_tune_keys_are_refused_with_their_line()
    {
        var empty = Config("n_trials: 3\nspace: {}");
        var e = Assert.Throws<InputException>(() => Read(empty));
        Assert.Contains("search space is empty", e.Reason);
        Assert.Equal(10, e.Line);

        var typo = Config("n_trial: 3\nspace:\n  linear.logreg.C: {choice: [1]}");
        e = Assert.Throws<InputException>(() => Read(typo));
        Assert.Equal("tune.n_trial", e.Field);
        Assert.Equal(9, e.Line);
    }

    [Theory]
    [InlineData("sampler: bayes", "tune.sampler", "'bayes' is not one of: grid, random, tpe")]
    [InlineData("pruner: {name: hyperband}", "tune.pruner.name", "not one of")]
    [InlineData("pruner: {name: median, reduction_factor: 3}", "tune.pruner.reduction_factor", "does not apply to the median pruner")]
    [InlineData("pruner: {name: successive_halving, min_resource: soon}", "tune.pruner.min_resource", "must be auto or a whole number")]
    [InlineData("pruner: {name: successive_halving, min_resource: 0}", "tune.pruner.min_resource", "at least 1 or auto")]
    [InlineData("n_trials: 0", "tune.n_trials", "at least 1")]
    [InlineData("metric: f2", "tune.metric", "unknown metric")]
    [InlineData("on: test", "tune.on", "not one of")]
    [InlineData("folds: 3", "tune.folds", "applies to on: cv")]
    [InlineData("study: ../escape", "tune.study", "path separator")]
    public void Bad_tune_settings_name_their_key(string line, string field, string reason)
    {
        var e = Assert.Throws<InputException>(() => Read(Config($"{line}\nspace:\n  linear.logreg.C: {{choice: [1]}}")));
        Assert.Equal(field, e.Field);
        Assert.Contains(reason, e.Reason);
        Assert.Equal(9, e.Line);
    }

    [Theory]
    [InlineData("pruner: successive_halving", null)]
    [InlineData("pruner: {name: successive_halving, min_resource: auto}", null)]
    [InlineData("pruner: {name: successive_halving, min_resource: 3}", 3)]
    public void Successive_halving_min_resource_is_auto_by_default_as_in_optuna(string line, int? expected)
    {
        var settings = Read(Config($"{line}\nspace:\n  linear.logreg.C: {{choice: [1]}}"));
        Assert.Equal(expected, settings.Pruner.MinResource);
        var pruner = Assert.IsType<Classify.Tuning.Pruners.SuccessiveHalvingPruner>(StudyComponents.CreatePruner(settings.Pruner));
        Assert.Equal(expected, pruner.Options.MinResource);
    }

    [Fact]
    public void Cross_validation_is_refused_for_the_transformer_engine()
    {
        var e = Assert.Throws<InputException>(() => Read(Config("on: cv\nspace:\n  transformer.learning_rate: {log_uniform: [1e-5, 1e-3]}", engine: "transformer")));
        Assert.Equal("tune.on", e.Field);
        Assert.Contains("linear engine", e.Reason);
    }

    [Fact]
    public void A_config_without_a_tune_section_is_refused()
    {
        var path = Path.Combine(_dir, "plain.yaml");
        File.WriteAllText(path, "name: x\ndata: {path: a.csv}\n");
        var e = Assert.Throws<InputException>(() => TuneSettings.Read(ExperimentConfig.Load(path)));
        Assert.Contains("no tune: section", e.Reason);
    }

    [Fact]
    public void The_study_definition_ignores_budget_settings_but_not_the_space_or_the_task()
    {
        var path = Config("sampler: {name: tpe, seed: 1}\nspace:\n  linear.logreg.C: {log_uniform: [0.01, 10]}");
        var config = ExperimentConfig.Load(path);
        var definition = TuneSettings.Read(config).Definition(config);
        var moreTrials = ExperimentConfig.Load(path, ["tune.n_trials=99", "tune.timeout=60", "tune.heartbeat_interval=2"]);
        Assert.Equal(definition, TuneSettings.Read(moreTrials).Definition(moreTrials));
        var otherSpace = ExperimentConfig.Load(Config("sampler: {name: tpe, seed: 1}\nspace:\n  linear.logreg.C: {log_uniform: [0.1, 10]}"));
        Assert.NotEqual(definition.DefinitionJson, TuneSettings.Read(otherSpace).Definition(otherSpace).DefinitionJson);
        var otherTask = ExperimentConfig.Load(path, ["linear.tfidf.min_df=2"]);
        Assert.NotEqual(definition.DefinitionJson, TuneSettings.Read(otherTask).Definition(otherTask).DefinitionJson);
        Assert.NotEqual(TuneSettings.BaseConfigHash(config), TuneSettings.BaseConfigHash(otherTask));
        // A study of the same task with another sampler shares the base config hash (that is how comparisons find it).
        var random = ExperimentConfig.Load(path, ["tune.sampler.name=random"]);
        Assert.Equal(TuneSettings.BaseConfigHash(config), TuneSettings.BaseConfigHash(random));
    }
}
