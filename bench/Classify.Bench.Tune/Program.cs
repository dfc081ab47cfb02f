// The C# half of bench/tune/run-tune-bench.sh: Classify's TPE against Optuna's on one objective.
//
//   classify-tpe   --config examples/tweets-tune.yaml [--trials 40] [--seeds 5] [--json FILE]
//       Runs Classify's study driver (TPE sampler, in-memory storage, the real ExperimentObjective of `classify tune`)
//       once per seed 0..seeds-1 and prints the best value of each and the overhead per trial: the driver's wall time
//       minus the time inside the objective (proposal, storage, bookkeeping — what Optuna's ask/suggest/tell cost).
//   serve-objective --config examples/tweets-tune.yaml
//       The same objective for Optuna (bench/tune/optuna_tpe_overhead.py): one JSON object of parameters per stdin line
//       ({"linear.tfidf.min_df": 2, ...}), one line {"value": x, "seconds": s} back. Prints {"ready": true} once the data
//       is loaded and split.
//   classify-tpe --objective branin ...   Branin on [-5, 10] x [0, 15] (minimised): a continuous space, no data.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Linear.Engine;
using Classify.Tuning.Samplers;
using Classify.Tuning.Space;
using Classify.Tuning.Storage;
using Classify.Tuning.Study;
using Classify.Tuning.Trials;

LinearEngine.Register();
var options = Options.Parse(args);
return options.Mode switch
{
    "classify-tpe" => ClassifyTpe(options),
    "serve-objective" => ServeObjective(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Classify.Bench.Tune classify-tpe|serve-objective --config FILE [--objective tweets|branin] [--trials N] [--seeds N] [--json FILE]");
    return 2;
}

static int ClassifyTpe(Options o)
{
    var (objective, space, direction, label) = o.Objective == "branin"
        ? ((TimedObjective)new TimedObjective(new FunctionObjective(Branin)), BraninSpace(), StudyDirection.Minimize, "branin")
        : (new TimedObjective(PrepareTweets(o, out var settings)), settings.Space, settings.Direction, $"tweets ({o.Config})");
    var bests = new List<double>();
    var overheadMs = new List<double>();
    var perTrial = Enumerable.Range(0, o.Trials).Select(_ => new List<double>()).ToArray();
    // A short warm-up study (seed 99) so the JIT is not billed to seed 0's first trials, as Python's imports are not.
    RunStudy(objective, space, direction, seed: 99, trials: Math.Min(o.Trials, 12), label: "warm-up");
    for (int seed = 0; seed < o.Seeds; seed++)
    {
        var (best, perTrialOverhead) = RunStudy(objective, space, direction, seed, o.Trials, $"seed {seed}");
        bests.Add(best);
        overheadMs.AddRange(perTrialOverhead);
        for (int i = 0; i < perTrialOverhead.Count && i < o.Trials; i++) perTrial[i].Add(perTrialOverhead[i]);
    }
    double mean = bests.Average();
    double sd = bests.Count > 1 ? Math.Sqrt(bests.Sum(b => (b - mean) * (b - mean)) / (bests.Count - 1)) : 0;
    Console.WriteLine($"classify TPE, {label}, {o.Trials} trials x {o.Seeds} seeds");
    Console.WriteLine($"best: mean {mean:F5}, sd {sd:F5} ({string.Join(", ", bests.Select(b => b.ToString("F5", CultureInfo.InvariantCulture)))})");
    Console.WriteLine($"overhead per trial (ms): mean {overheadMs.Average():F3}, median {Median(overheadMs):F3}, " +
                      $"median at trial 1 {Median(perTrial[0]):F3}, trial 11 {Median(perTrial[Math.Min(10, o.Trials - 1)]):F3}, trial {o.Trials} {Median(perTrial[^1]):F3}");
    Console.WriteLine($"objective seconds per trial: mean {objective.Seconds.Average():F3}");
    if (o.Json is { } path)
        File.WriteAllText(path, JsonSerializer.Serialize(new { side = "classify", objective = label, trials = o.Trials, bests, overhead_ms = overheadMs,
            objective_seconds = objective.Seconds }));
    return 0;
}

// One study of `trials` trials: best value and each trial's overhead (ms), i.e. the
// time between the end of one objective call and the start of the next (the first: from Optimize's start).
static (double Best, List<double> OverheadMs) RunStudy(TimedObjective objective, SearchSpace space, StudyDirection direction,
    int seed, int trials, string label)
{
    var settings = new TuneSettings
    {
        Study = $"bench-{seed}", Metric = "macro_f1", Direction = direction, On = ObjectiveSplit.Validation,
        Sampler = new SamplerSettings("tpe", seed), Pruner = new PrunerSettings("none"), Trials = trials, Space = space,
        RetrainBest = false,
    };
    // The process's in-memory storage (Optuna's side uses its InMemoryStorage too); each seed is a study of its own.
    var storage = StudyComponents.OpenStorage(StudyComponents.MemoryStorage, Path.Combine(Path.GetTempPath(), "unused.db"));
    var definition = new StudyDefinition(settings.Study, direction, settings.Metric, "{}");
    var study = storage.CreateOrLoadStudy(definition);
    var driver = new StudyDriver(storage, study, settings, StudyComponents.CreateSampler(settings.Sampler), pruner: null);
    objective.BeginStudy();
    var outcome = driver.Optimize(objective);
    var all = storage.GetTrials(study.Id);
    if (all.Count != trials || all.Any(t => t.State != TrialState.Complete))
        throw new InvalidOperationException($"{label}: {outcome.Reason}, {all.Count} trials ({outcome.LastError})");
    var best = StudyDriver.BestTrial(all, direction)!.Value!.Value;
    Console.Error.WriteLine($"{label}: best {best:F5} after {trials} trials in {outcome.Elapsed.TotalSeconds:F1} s");
    return (best, objective.OverheadMs(outcome.Elapsed));
}

static int ServeObjective(Options o)
{
    var objective = PrepareTweets(o, out _);
    Console.WriteLine("{\"ready\": true}");
    int number = 0;
    string? line;
    while ((line = Console.ReadLine()) is not null)
    {
        if (line.Length == 0) continue;
        var parameters = ParameterValues.ParametersFromJson(line);
        var start = Stopwatch.GetTimestamp();
        var value = objective.Evaluate(Trial(number++, parameters), TrialReporter.Unobserved(), CancellationToken.None);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Console.WriteLine(new JsonObject { ["value"] = value, ["seconds"] = seconds }.ToJsonString());
    }
    return 0;
}

// The objective of `classify tune` for the config's task, prepared once (data loaded, cleaned and split) in a scratch folder.
static ExperimentObjective PrepareTweets(Options o, out TuneSettings settings)
{
    var config = ExperimentConfig.Load(o.Config, [$"runs_dir={Path.Combine(Path.GetTempPath(), $"classify-tune-bench-{Environment.ProcessId}")}"]);
    settings = TuneSettings.Read(config);
    var objective = ExperimentObjective.Prepare(config, settings, Path.Combine(config.RunsDirectory, "trials"), log: null, CancellationToken.None);
    objective.CheckSpace(settings.Space);
    return objective;
}

static StudyTrial Trial(int number, IReadOnlyDictionary<string, object?> parameters) =>
    new(number, number, TrialState.Running, parameters, null, new Dictionary<long, double>(), DateTime.UtcNow, null, DateTime.UtcNow, "bench", null, null, null);


static double Branin(IReadOnlyDictionary<string, object?> p)
{
    double x1 = (double)p["x1"]!, x2 = (double)p["x2"]!;
    double b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
    return Math.Pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * Math.Cos(x1) + 10;
}

static SearchSpace BraninSpace() => new([new FloatDistribution("x1", -5, 10), new FloatDistribution("x2", 0, 15)]);

static double Median(List<double> xs) => xs.Count == 0 ? double.NaN : xs.Order().ElementAt(xs.Count / 2);

sealed record Options(string Mode, string Config, string Objective, int Trials, int Seeds, string? Json)
{
    public static Options Parse(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "", config = "examples/tweets-tune.yaml", objective = "tweets";
        int trials = 40, seeds = 5;
        string? json = null;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--config": config = args[i + 1]; break;
                case "--objective": objective = args[i + 1]; break;
                case "--trials": trials = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seeds": seeds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--json": json = args[i + 1]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new Options(mode, config, objective, trials, seeds, json);
    }
}

/// <summary>A plain function as a trial objective.</summary>
sealed class FunctionObjective(Func<IReadOnlyDictionary<string, object?>, double> f) : ITrialObjective
{
    public double Evaluate(StudyTrial trial, TrialReporter reporter, CancellationToken cancellationToken) => f(trial.Parameters);
}

/// <summary>
/// Times each objective call, so that a study's overhead per trial is the time between calls: from the study's start
/// (or the previous call's end) to the next call's start; the driver's wrap-up after the last call is billed to the last
/// trial.
/// </summary>
sealed class TimedObjective(ITrialObjective inner) : ITrialObjective
{
    private readonly List<(long Start, long End)> _calls = new();
    private long _studyStart;

    public List<double> Seconds { get; } = new();

    public void BeginStudy()
    {
        _calls.Clear();
        _studyStart = Stopwatch.GetTimestamp();
    }

    public double Evaluate(StudyTrial trial, TrialReporter reporter, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        try { return inner.Evaluate(trial, reporter, cancellationToken); }
        finally
        {
            long end = Stopwatch.GetTimestamp();
            _calls.Add((start, end));
            Seconds.Add(Stopwatch.GetElapsedTime(start, end).TotalSeconds);
        }
    }

    /// <summary>Per trial: ms from the previous call's end (or the study's start) to this call's start; the last also gets the tail.</summary>
    public List<double> OverheadMs(TimeSpan studyElapsed)
    {
        var result = new List<double>();
        long previous = _studyStart;
        foreach (var (start, end) in _calls)
        {
            result.Add(Stopwatch.GetElapsedTime(previous, start).TotalMilliseconds);
            previous = end;
        }
        double tail = studyElapsed.TotalMilliseconds - Stopwatch.GetElapsedTime(_studyStart, previous).TotalMilliseconds;
        if (result.Count > 0) result[^1] += Math.Max(0, tail);
        return result;
    }
}
