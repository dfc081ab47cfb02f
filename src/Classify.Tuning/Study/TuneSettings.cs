using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Metrics;
using Classify.Core.Runs;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Study;

/// <summary>Where a trial's objective is measured.</summary>
public enum ObjectiveSplit
{
    /// <summary>On the validation split, after training on the training split.</summary>
    Validation,
    /// <summary>
    /// By stratified k-fold cross-validation on the training split (linear engine): each fold's score is an intermediate
    /// value, so a pruner can stop a trial after a few folds.
    /// </summary>
    CrossValidation,
}

/// <summary>The <c>tune.sampler</c> mapping.</summary>
/// <param name="Name">grid, random or tpe.</param>
/// <param name="Seed">The sampler's seed (default: the config's seed).</param>
/// <param name="StartupTrials">TPE: trials sampled at random before the model takes over (<c>n_startup_trials</c>, default 10; other samplers ignore it).</param>
/// <param name="EiCandidates">TPE: candidates drawn per proposal to maximise expected improvement (<c>n_ei_candidates</c>, default 24).</param>
public sealed record SamplerSettings(string Name, int Seed, int StartupTrials = 10, int EiCandidates = 24);

/// <summary>The <c>tune.pruner</c> mapping.</summary>
/// <param name="Name">none, median or successive_halving.</param>
/// <param name="StartupTrials">Median: trials that finish before any is pruned (<c>n_startup_trials</c>, default 5).</param>
/// <param name="WarmupSteps">Median: steps of a trial before it may be pruned (<c>n_warmup_steps</c>, default 0).</param>
/// <param name="MinResource">Successive halving: the first rung's step (<c>min_resource</c>); null is Optuna's default
/// <c>auto</c>: the largest last step of the completed trials / 100, at least 1, and no pruning before a trial completed.</param>
/// <param name="ReductionFactor">Successive halving: 1 in this many trials is promoted at each rung (<c>reduction_factor</c>, default 4).</param>
public sealed record PrunerSettings(string Name, int StartupTrials = 5, int WarmupSteps = 0, int? MinResource = null, int ReductionFactor = 4);

/// <summary>
/// The <c>tune:</c> section of an experiment config: which study, which metric in which direction, measured where,
/// by which sampler and pruner, for how many trials, over which space (see docs/tuning.md).
/// </summary>
public sealed record TuneSettings
{
    /// <summary>The sampler names <c>tune.sampler.name</c> accepts.</summary>
    public static readonly IReadOnlyList<string> SamplerNames = ["grid", "random", "tpe"];
    /// <summary>The pruner names <c>tune.pruner.name</c> accepts.</summary>
    public static readonly IReadOnlyList<string> PrunerNames = ["none", "median", "successive_halving"];

    /// <summary>Study name (also the tuning run folder's name); default <c>&lt;config name&gt;-&lt;sampler&gt;</c>.</summary>
    public required string Study { get; init; }
    /// <summary>The metric key optimised (<see cref="MetricKeys"/>).</summary>
    public required string Metric { get; init; }
    /// <summary>Maximise or minimise (default from the metric: losses are minimised).</summary>
    public required StudyDirection Direction { get; init; }
    /// <summary>Where the metric is measured (<c>on: val | cv</c>).</summary>
    public required ObjectiveSplit On { get; init; }
    /// <summary>Folds when <see cref="On"/> is cross-validation (<c>folds</c>, default 5).</summary>
    public int Folds { get; init; } = 5;
    /// <summary>The sampler.</summary>
    public required SamplerSettings Sampler { get; init; }
    /// <summary>The pruner.</summary>
    public required PrunerSettings Pruner { get; init; }
    /// <summary>Finished trials the study aims at, across all workers (<c>n_trials</c>, default 20).</summary>
    public int Trials { get; init; } = 20;
    /// <summary>This worker starts no new trial after this long (<c>timeout</c> in seconds), or null.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>How often a running trial's worker proves it is alive (<c>heartbeat_interval</c> seconds, default 10).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>A failed stale or interrupted trial is retried at most this many times (<c>max_retries</c>, default 2).</summary>
    public int MaxRetries { get; init; } = 2;
    /// <summary>Retrain the best configuration as a normal run in <c>best/</c> when the study ends (<c>retrain_best</c>, default true).</summary>
    public bool RetrainBest { get; init; } = true;
    /// <summary>Study storage URL (<c>storage</c>; default: the runs ledger, the SQLite file <c>&lt;runs_dir&gt;/ledger.db</c>).</summary>
    public string? Storage { get; init; }
    /// <summary>The search space.</summary>
    public required SearchSpace Space { get; init; }

    /// <summary>A running trial whose heartbeat is older than this belongs to a dead worker: three heartbeat intervals.</summary>
    public TimeSpan StaleAfter => HeartbeatInterval * 3;

    /// <summary>
    /// Reads the <c>tune:</c> section of <paramref name="config"/>, checking everything that needs no data (the space's
    /// syntax and ranges, names, counts). Errors name the file, line and key.
    /// </summary>
    /// <exception cref="InputException">No <c>tune:</c> section, or a bad setting.</exception>
    public static TuneSettings Read(ExperimentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Resolved[ExperimentConfig.TuneSection] is not JsonObject)
            throw config.Error(ExperimentConfig.TuneSection, "this config has no tune: section (study, metric, sampler, n_trials, space); see docs/tuning.md");
        var tune = config.Section(ExperimentConfig.TuneSection);

        string metric;
        var metricText = tune.String("metric", MetricKeys.MacroF1)!;
        try { metric = MetricKeys.Normalize(metricText); }
        catch (ArgumentException) { throw tune.Error("metric", $"unknown metric '{metricText}' (known: {string.Join(", ", MetricKeys.All)})"); }
        var defaultDirection = MetricKeys.GreaterIsBetter(metric) ? "maximize" : "minimize";
        var direction = tune.Choice("direction", defaultDirection, "maximize", "minimize") == "maximize" ? StudyDirection.Maximize : StudyDirection.Minimize;

        var on = tune.Choice("on", "val", "val", "cv") == "cv" ? ObjectiveSplit.CrossValidation : ObjectiveSplit.Validation;
        int folds = tune.Int("folds", 5);
        if (on == ObjectiveSplit.CrossValidation)
        {
            if (config.Engine != "linear")
                throw tune.Error("on", $"on: cv runs k-fold cross-validation through the linear engine's search; the {config.Engine} engine is tuned on: val");
            if (folds < 2) throw tune.Error("folds", $"cross-validation needs at least 2 folds, found {folds}");
        }
        else if (tune.Has("folds")) throw tune.Error("folds", "folds applies to on: cv");

        var sampler = ReadSampler(tune, config.Seed);
        var pruner = ReadPruner(tune);
        int trials = tune.Int("n_trials", 20);
        if (trials < 1) throw tune.Error("n_trials", $"n_trials must be at least 1, found {trials}");
        TimeSpan? timeout = null;
        if (tune.NullableDouble("timeout") is { } t)
        {
            if (!(t > 0) || !double.IsFinite(t)) throw tune.Error("timeout", $"timeout is a number of seconds > 0, found {t}");
            timeout = TimeSpan.FromSeconds(t);
        }
        double heartbeat = tune.Double("heartbeat_interval", 10);
        if (!(heartbeat >= 0.05) || heartbeat > 3600) throw tune.Error("heartbeat_interval", $"heartbeat_interval is in seconds, from 0.05 to 3600; found {heartbeat}");
        int retries = tune.Int("max_retries", 2);
        if (retries < 0) throw tune.Error("max_retries", $"max_retries must be 0 or more, found {retries}");
        bool retrain = tune.Bool("retrain_best", true);
        var storage = tune.String("storage");

        var study = tune.String("study") ?? $"{config.Name}-{sampler.Name}";
        if (RunLayout.NameProblem(study) is { } problem) throw tune.Error("study", $"the study names its tuning run folder: {problem}");
        var space = SearchSpaceParser.Parse(tune, config.Engine);
        tune.EnsureOnlyKnownKeys();
        return new TuneSettings
        {
            Study = study, Metric = metric, Direction = direction, On = on, Folds = folds, Sampler = sampler, Pruner = pruner, Trials = trials,
            Timeout = timeout, HeartbeatInterval = TimeSpan.FromSeconds(heartbeat), MaxRetries = retries, RetrainBest = retrain, Storage = storage,
            Space = space,
        };
    }

    private static SamplerSettings ReadSampler(ConfigReader tune, int configSeed)
    {
        // sampler: tpe is short for sampler: {name: tpe}.
        if (tune.Node("sampler") is JsonValue)
            return new SamplerSettings(tune.Choice("sampler", "tpe", [.. SamplerNames]), configSeed);
        var s = tune.Section("sampler");
        var settings = new SamplerSettings(s.Choice("name", "tpe", [.. SamplerNames]), s.Int("seed", configSeed),
            s.Int("n_startup_trials", 10), s.Int("n_ei_candidates", 24));
        if (settings.StartupTrials < 0) throw s.Error("n_startup_trials", "must be 0 or more");
        if (settings.EiCandidates < 1) throw s.Error("n_ei_candidates", "must be at least 1");
        // TPE's options are read whatever the sampler, so one config serves grid, random and tpe (--sampler); the
        // others ignore them, and the study definition records them only for tpe.
        s.EnsureOnlyKnownKeys();
        return settings;
    }

    // min_resource: auto (the default, as Optuna's) or a step count.
    private static int? MinResource(ConfigReader p) =>
        p.Node("min_resource") is JsonValue v && v.TryGetValue<string>(out var text)
            ? text == "auto" ? null : throw p.Error("min_resource", $"must be auto or a whole number of steps, found '{text}'")
            : p.NullableInt("min_resource");

    private static PrunerSettings ReadPruner(ConfigReader tune)
    {
        if (tune.Node("pruner") is JsonValue)
            return new PrunerSettings(tune.Choice("pruner", "none", [.. PrunerNames]));
        var p = tune.Section("pruner");
        var settings = new PrunerSettings(p.Choice("name", "none", [.. PrunerNames]), p.Int("n_startup_trials", 5), p.Int("n_warmup_steps", 0),
            MinResource(p), p.Int("reduction_factor", 4));
        if (settings.StartupTrials < 0) throw p.Error("n_startup_trials", "must be 0 or more");
        if (settings.WarmupSteps < 0) throw p.Error("n_warmup_steps", "must be 0 or more");
        if (settings.MinResource < 1) throw p.Error("min_resource", $"must be at least 1 or auto, found {settings.MinResource}");
        if (settings.ReductionFactor < 2) throw p.Error("reduction_factor", "must be at least 2");
        var own = settings.Name switch
        {
            "median" => new[] { "n_startup_trials", "n_warmup_steps" },
            "successive_halving" => ["min_resource", "reduction_factor"],
            _ => [],
        };
        foreach (var key in new[] { "n_startup_trials", "n_warmup_steps", "min_resource", "reduction_factor" })
            if (!own.Contains(key) && p.Has(key)) throw p.Error(key, $"{key} does not apply to the {settings.Name} pruner");
        p.EnsureOnlyKnownKeys();
        return settings;
    }

    /// <summary>
    /// What identifies the study (<see cref="Storage.StudyDefinition"/>): the space, the objective, the sampler, the pruner
    /// and a hash of the rest of the config. Rerunning with the same definition continues the study; <c>n_trials</c>,
    /// <c>timeout</c>, heartbeats and retries may change between runs, so they are not part of it.
    /// </summary>
    public Storage.StudyDefinition Definition(ExperimentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var definition = new JsonObject
        {
            ["metric"] = Metric,
            ["direction"] = Direction.ToString().ToLowerInvariant(),
            ["on"] = On == ObjectiveSplit.CrossValidation ? $"cv:{Folds}" : "val",
            ["sampler"] = new JsonObject
            {
                ["name"] = Sampler.Name, ["seed"] = Sampler.Seed,
                ["n_startup_trials"] = Sampler.Name == "tpe" ? Sampler.StartupTrials : null, ["n_ei_candidates"] = Sampler.Name == "tpe" ? Sampler.EiCandidates : null,
            },
            ["pruner"] = new JsonObject
            {
                ["name"] = Pruner.Name, ["n_startup_trials"] = Pruner.StartupTrials, ["n_warmup_steps"] = Pruner.WarmupSteps,
                ["min_resource"] = Pruner.MinResource is { } r ? JsonValue.Create(r) : JsonValue.Create("auto"), ["reduction_factor"] = Pruner.ReductionFactor,
            },
            ["space"] = SpaceJson(Space),
            ["base_config_sha256"] = BaseConfigHash(config),
        };
        return new Storage.StudyDefinition(Study, Direction, $"{Metric}@{(On == ObjectiveSplit.CrossValidation ? "cv" : "val")}", definition.ToJsonString());
    }

    /// <summary>
    /// SHA-256 of the config without its name, runs folder and <c>tune:</c> section: studies of the same task with
    /// different samplers share it, which is how their comparison finds them.
    /// </summary>
    public static string BaseConfigHash(ExperimentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var tree = (JsonObject)config.Resolved.DeepClone();
        foreach (var key in new[] { "name", "runs_dir", ExperimentConfig.TuneSection }) tree.Remove(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(tree)!.ToJsonString())));
    }

    /// <summary>The space as JSON: one object per parameter, in order.</summary>
    public static JsonArray SpaceJson(SearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        var array = new JsonArray();
        foreach (var p in space.Parameters)
            array.Add(p switch
            {
                ChoiceDistribution c => new JsonObject { ["key"] = c.Key, ["choice"] = new JsonArray(c.Choices.Select(ParameterValues.ToNode).ToArray()) },
                IntDistribution i => new JsonObject { ["key"] = i.Key, ["int"] = new JsonArray(i.Low, i.High), ["step"] = i.Step, ["log"] = i.Log },
                FloatDistribution f => new JsonObject
                {
                    ["key"] = f.Key, [f.Log ? "log_uniform" : "uniform"] = new JsonArray(f.Low, f.High), ["step"] = f.Step,
                },
                _ => throw new ArgumentException($"unknown distribution {p.GetType().Name}", nameof(space)),
            });
        return array;
    }

    // Keys sorted at every level, so two configs that differ only in key order hash the same.
    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Canonical(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        _ => node?.DeepClone(),
    };
}
