using Classify.Core.Configuration;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Core.Training;

namespace Classify.Core.Tests.Runs;

/// <summary>Options of the test engine: Laplace smoothing.</summary>
internal sealed record NaiveBayesOptions(double Alpha);

/// <summary>The experiment config the Naive Bayes tests share: the run <c>nb</c> on a two-label reviews file.</summary>
internal static class NaiveBayesConfig
{
    /// <summary>YAML for <paramref name="data"/> (columns id, text, label and, with <paramref name="splitColumn"/>, split) plus <paramref name="extra"/> sections.</summary>
    public static string Yaml(string runsDir, string data, string extra, bool splitColumn = false) =>
        $"""
         name: nb
         runs_dir: {runsDir}
         engine: naive_bayes
         data:
           path: {data}
           id_col: id
           labels: [neg, pos]
           {(splitColumn ? "split_col: split" : "")}
         {extra}
         """;
}

/// <summary>
/// A small real engine for testing the experiment without Classify.Linear: multinomial naive Bayes over lower-cased words
/// (single-label), scores = log prior + Σ log likelihood, softmax link. Counts what the experiment asks of it.
/// </summary>
internal sealed class NaiveBayesTrainer : ClassifierTrainer<NaiveBayesOptions>
{
    public const string Name = "naive_bayes";

    public override string Engine => Name;

    public int ParseCalls { get; private set; }
    public List<NaiveBayesOptions> TrainedWith { get; } = [];
    public List<TrainingRequest> Requests { get; } = [];
    public int SaveCalls { get; set; }

    public override NaiveBayesOptions ParseOptions(ConfigReader section, LabelSchema schema)
    {
        ParseCalls++;
        var alpha = section.Double("alpha", 1.0);
        if (!(alpha > 0)) throw section.Error("alpha", "must be positive");
        section.EnsureOnlyKnownKeys();
        if (schema.IsMultilabel) throw section.Error("alpha", "naive Bayes here is single-label only");
        return new NaiveBayesOptions(alpha);
    }

    public override TrainingOutcome Train(TrainingRequest request, NaiveBayesOptions options, CancellationToken cancellationToken)
    {
        TrainedWith.Add(options);
        Requests.Add(request);
        int k = request.Schema.Count;
        var counts = new Dictionary<string, double[]>();
        var totals = new double[k];
        var priors = new double[k];
        foreach (var e in request.Train)
        {
            priors[e.Label]++;
            foreach (var w in Words(e.Text))
            {
                if (!counts.TryGetValue(w, out var c)) counts[w] = c = new double[k];
                c[e.Label]++;
                totals[e.Label]++;
            }
        }
        // Evaluations: one per "epoch" of a pretend schedule, so callbacks can be tested.
        for (int step = 1; step <= 3; step++)
        {
            var control = TrainerControl.Notify(request.Callbacks, new TrainerEvaluation(step, step, new Dictionary<string, double> { ["eval_loss"] = 1.0 / step }));
            if (control.ShouldStop) { request.Log?.Invoke($"stopped at {step}: {control.StopReason}"); break; }
        }
        var manifest = request.Manifest with { Engine = Name };
        var model = new Model(manifest, counts, totals, priors.Select(p => Math.Log((p + 1) / (request.Train.Count + k))).ToArray(), options.Alpha, this);
        return new TrainingOutcome(model, null, []);
    }

    internal static IEnumerable<string> Words(string text) =>
        text.ToLowerInvariant().Split([' ', ',', '.', '!', '?'], StringSplitOptions.RemoveEmptyEntries);

    private sealed class Model(ModelManifest manifest, Dictionary<string, double[]> counts, double[] totals, double[] logPriors, double alpha,
        NaiveBayesTrainer owner) : ITrainedModel, IPredictor
    {
        public IPredictor Predictor => this;
        public ModelManifest Manifest => manifest;
        public ScoreLink Link => ScoreLink.Softmax;
        public bool SupportsDropout => false;

        public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
        {
            int vocabulary = Math.Max(1, counts.Count);
            return inputs.Select(input =>
            {
                var s = (double[])logPriors.Clone();
                foreach (var w in Words(input.Text))
                    for (int c = 0; c < s.Length; c++)
                        s[c] += Math.Log(((counts.TryGetValue(w, out var n) ? n[c] : 0) + alpha) / (totals[c] + alpha * vocabulary));
                return s;
            }).ToArray();
        }

        public void Save(string directory, ModelManifest packaged)
        {
            owner.SaveCalls++;
            File.WriteAllText(Path.Combine(directory, "nb.txt"), string.Join("\n", counts.Keys.Order()));
            packaged.Save(directory);
        }

        public void Dispose() { }
    }
}

/// <summary>A ledger in memory, to check that the experiment records through the interface.</summary>
internal sealed class MemoryLedger : ILedger
{
    public List<RunRecord> Runs { get; } = [];
    public List<PerClassRecord> PerClass { get; } = [];
    public string Path => "memory";
    public void RecordRun(RunRecord run) { Runs.RemoveAll(r => r.RunId == run.RunId); Runs.Add(run); }
    public void RecordTrials(string runId, IEnumerable<TrialRecord> trials) { }
    public void RecordPerClass(string runId, IEnumerable<PerClassRecord> rows) => PerClass.AddRange(rows);
    public IReadOnlyList<LedgerTable> ReadTables() => [];
    public LedgerTable ReadRuns() => new("runs", [], []);
    public void Dispose() { }
}
