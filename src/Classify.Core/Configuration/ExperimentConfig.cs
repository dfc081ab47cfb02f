using System.Text.Json.Nodes;
using Classify.Core.Calibration;
using Classify.Core.Cleaning;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Prediction;

namespace Classify.Core.Configuration;

/// <summary>
/// A resolved experiment configuration: the YAML file (if any) with command-line overrides applied, read into
/// typed settings. Unknown keys are errors, so a typo never silently falls back to a default.
/// <para>Top-level keys: <c>name</c>, <c>seed</c>, <c>runs_dir</c>, <c>data</c>, <c>split</c>, <c>cleaning</c>,
/// <c>context</c>, <c>decision</c>, <c>calibration</c>, <c>uncertainty</c>, <c>engine</c>, one section per engine (<c>linear</c>, <c>transformer</c>),
/// and <c>tune</c> (the search of <c>classify tune</c>, read by Classify.Tuning; other verbs leave it alone).</para>
/// </summary>
public sealed class ExperimentConfig
{
    /// <summary>The section <c>classify tune</c> reads (a study over this config); kept, unread, by every other verb.</summary>
    public const string TuneSection = "tune";

    /// <summary>Sections of the engines Classify ships; they may stay in a config that uses another engine.</summary>
    public static readonly string[] EngineSections = ["linear", "transformer"];

    /// <summary>What error messages name as the source of a value given by a flag or <c>--set</c> rather than the file.</summary>
    public const string CommandLine = "command line";

    private readonly IReadOnlyDictionary<string, long> _lines;
    // Dotted keys set after the file was read (flags, --set, a trial's overrides) → where they came from.
    private readonly IReadOnlyDictionary<string, string> _setElsewhere;

    private ExperimentConfig(JsonObject resolved, string? source, IReadOnlyDictionary<string, long>? lines,
        IReadOnlyDictionary<string, string>? setElsewhere = null)
    {
        Resolved = resolved;
        Source = source;
        _lines = lines ?? new Dictionary<string, long>();
        _setElsewhere = setElsewhere ?? new Dictionary<string, string>();
        var root = new ConfigReader(resolved, "", source, LineOf, SourceOf);
        Name = root.String("name") ?? throw root.Error("name", "every run needs a name (name: my-run, or --name)");
        if (Runs.RunLayout.NameProblem(Name) is { } problem) throw root.Error("name", problem);
        Seed = root.Int("seed", 42);
        RunsDirectory = root.String("runs_dir", "runs")!;
        Data = DataSettings.Read(root.Section("data"));
        Split = SplitSettings.Read(root.Section("split"));
        Cleaning = ReadCleaning(root.Section("cleaning"));
        Context = ReadContext(root.Section("context"));
        var decision = root.Section("decision");
        TuneThresholds = decision.Bool("tune_thresholds", false);
        Abstain = ReadAbstain(decision);
        decision.EnsureOnlyKnownKeys();
        Uncertainty = ReadUncertainty(root);
        Calibration = ReadCalibration(root.Section("calibration"));
        // Any registered engine may train (checked when the experiment is prepared); its settings are the section of its name.
        Engine = (root.String("engine", "linear") ?? "linear").Trim().ToLowerInvariant();
        if (Engine.Length == 0 || !Engine.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            throw root.Error("engine", $"'{Engine}' is not an engine name (linear, transformer, or another registered engine)");
        EngineOptions = root.Node(Engine) switch
        {
            null => new JsonObject(),
            JsonObject o => o,
            _ => throw root.Error(Engine, "expected a mapping of engine settings"),
        };
        foreach (var other in EngineSections.Where(e => e != Engine)) root.Node(other);
        if (root.Node(TuneSection) is not (null or JsonObject)) throw root.Error(TuneSection, "expected a mapping of tuning settings (study, metric, sampler, space …)");
        root.EnsureOnlyKnownKeys();
    }

    /// <summary>The whole resolved tree (recorded in run.json).</summary>
    public JsonObject Resolved { get; }
    /// <summary>The YAML file it came from, if any.</summary>
    public string? Source { get; }
    /// <summary>Run name; the run folder is <c>{RunsDirectory}/{Name}</c>.</summary>
    public string Name { get; }
    /// <summary>The one seed for splits, initialisation and shuffling.</summary>
    public int Seed { get; }
    /// <summary>Parent folder of run folders and the ledger.</summary>
    public string RunsDirectory { get; }
    /// <summary>Data file and columns.</summary>
    public DataSettings Data { get; }
    /// <summary>Split fractions.</summary>
    public SplitSettings Split { get; }
    /// <summary>Cleaning steps.</summary>
    public CleaningOptions Cleaning { get; }
    /// <summary>Conversation context, or null.</summary>
    public ContextOptions? Context { get; }
    /// <summary>Tune per-label decision thresholds on the validation split (multilabel and binary).</summary>
    public bool TuneThresholds { get; }
    /// <summary>
    /// <c>decision.abstain</c>: the validation coverage or accuracy the abstain threshold is chosen for, or null when the
    /// model always decides (see <see cref="AbstainTuner"/>).
    /// </summary>
    public AbstainTarget? Abstain { get; }
    /// <summary>
    /// The <c>uncertainty:</c> section (<c>mc_samples</c>, <c>mc_batch_size</c>), or null when the config has none:
    /// evaluation then writes no uncertainty columns. Saved in the package as <c>predict</c>'s default.
    /// </summary>
    public Uncertainty.UncertaintyOptions? Uncertainty { get; }
    /// <summary>How probabilities are calibrated on the validation split (<c>calibration:</c>; default none).</summary>
    public CalibrationSettings Calibration { get; }
    /// <summary>Engine name.</summary>
    public string Engine { get; }
    /// <summary>The engine's section.</summary>
    public JsonObject EngineOptions { get; }

    /// <summary>Loads a YAML file (optional), then applies <paramref name="overrides"/> (<c>key.path=value</c>) in order.</summary>
    public static ExperimentConfig Load(string? yamlPath, IEnumerable<string>? overrides = null, JsonObject? flagValues = null)
    {
        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        var tree = yamlPath is null ? new JsonObject() : ConfigDocument.LoadYaml(yamlPath, lines);
        var setElsewhere = new Dictionary<string, string>(StringComparer.Ordinal);
        if (flagValues is not null)
        {
            ConfigDocument.Merge(tree, flagValues);
            foreach (var key in LeafKeys(flagValues, "")) setElsewhere[key] = CommandLine;
        }
        foreach (var o in overrides ?? [])
        {
            ConfigDocument.ApplyOverride(tree, o);
            setElsewhere[OverriddenKey(o)] = CommandLine;
        }
        return new ExperimentConfig(tree, yamlPath, lines, setElsewhere);
    }

    /// <summary>Builds a config from an in-memory tree (tests, the library API).</summary>
    public static ExperimentConfig FromJson(JsonObject tree) => new((JsonObject)tree.DeepClone(), null, null);

    /// <summary>A copy with <paramref name="overrides"/> (<c>key.path=value</c>) applied: a tuning trial's configuration.</summary>
    public ExperimentConfig With(IEnumerable<string> overrides)
    {
        var tree = (JsonObject)Resolved.DeepClone();
        var setElsewhere = new Dictionary<string, string>(_setElsewhere, StringComparer.Ordinal);
        foreach (var o in overrides)
        {
            ConfigDocument.ApplyOverride(tree, o);
            setElsewhere[OverriddenKey(o)] = $"override {o}";
        }
        return new ExperimentConfig(tree, Source, _lines, setElsewhere);
    }

    /// <summary>
    /// The line of a dotted key (<c>linear.tfidf.min_df</c>) in <see cref="Source"/>, else of its nearest enclosing key;
    /// null when the key was not in the file (a default, a flag or an override).
    /// </summary>
    public long? LineOf(string key) => Locate(key).Line;

    /// <summary>
    /// Where a dotted key's value came from, for messages: <see cref="Source"/>, or <see cref="CommandLine"/> when a flag
    /// or <c>--set</c> gave it (so an error never points at a file line the user did not write).
    /// </summary>
    public string? SourceOf(string key) => Locate(key).Source;

    /// <summary>An input error about a dotted key, naming where it was set (file and line, or the command line).</summary>
    public InputException Error(string key, string reason, Exception? inner = null)
    {
        var (source, line) = Locate(key);
        return new InputException(reason, source, line, key, inner);
    }

    /// <summary>A reader over a top-level section (<c>tune</c> …; empty when absent) whose errors name the file, line and key.</summary>
    public ConfigReader Section(string key) =>
        new(Resolved[key] as JsonObject, key, Source, LineOf, SourceOf);

    /// <summary>A reader over the engine's section (<c>linear:</c>, <c>transformer:</c>) whose errors name the file, line and key.</summary>
    public ConfigReader EngineSection() => new(EngineOptions, Engine, Source, LineOf, SourceOf);

    // The most specific of the key and its enclosing keys that was set somewhere decides: a flag beats the file line.
    private (string? Source, long? Line) Locate(string key)
    {
        for (var k = key; k.Length > 0; k = k.LastIndexOf('.') is var dot && dot > 0 ? k[..dot] : "")
        {
            if (_setElsewhere.TryGetValue(k, out var origin)) return (origin, null);
            if (_lines.TryGetValue(k, out var line)) return (Source, line);
        }
        return (Source, null);
    }

    private static string OverriddenKey(string assignment) => assignment[..assignment.IndexOf('=')].Trim();

    private static IEnumerable<string> LeafKeys(JsonObject tree, string prefix)
    {
        foreach (var (key, value) in tree)
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is JsonObject child) foreach (var leaf in LeafKeys(child, path)) yield return leaf;
            else yield return path;
        }
    }

    /// <summary>The data section as the loader's options, with the context turns of the <c>context:</c> section.</summary>
    /// <exception cref="IO.InputException">Contradictory data settings (naming the file and key).</exception>
    public DatasetOptions DatasetOptions()
    {
        var options = Context?.ApplyTo(Data.Options) ?? Data.Options;
        try { options.Validate(); }
        catch (InputException e)
        {
            // The loader names its keys as written in the data: section (context.turns excepted); point at them in the file.
            var key = e.Field is null ? "data" : e.Field.Contains('.') ? e.Field : $"data.{e.Field}";
            throw Error(key, e.Reason, e);
        }
        return options;
    }

    private static CleaningOptions ReadCleaning(ConfigReader s)
    {
        var c = new CleaningOptions
        {
            Html = s.Bool("html", false),
            Urls = s.Bool("urls", false),
            Mentions = s.Bool("mentions", false),
            Hashtags = s.Bool("hashtags", false),
            ControlCharacters = s.Bool("control_chars", false),
            Whitespace = s.Bool("whitespace", false),
            Elongation = s.Bool("elongation", false),
            Lowercase = s.Bool("lowercase", false),
            StopWords = s.Bool("stop_words", false),
            Stem = s.Bool("stem", false),
        };
        s.EnsureOnlyKnownKeys();
        return c;
    }

    private static Uncertainty.UncertaintyOptions? ReadUncertainty(ConfigReader root)
    {
        if (root.Node("uncertainty") is null) return null;
        var s = root.Section("uncertainty");
        var options = new Uncertainty.UncertaintyOptions
        {
            McSamples = s.Int("mc_samples", 1),
            McBatchSize = s.Int("mc_batch_size", Classify.Core.Uncertainty.UncertaintyOptions.DefaultMcBatchSize),
        };
        s.EnsureOnlyKnownKeys();
        if (options.FindProblem() is { } problem) throw s.Error(problem.Key, problem.Reason);
        return options;
    }

    // decision.abstain: {coverage: c} or {target_accuracy: a}, each in (0, 1], and an optional score (default: the task's).
    private static AbstainTarget? ReadAbstain(ConfigReader decision)
    {
        if (decision.Node("abstain") is null) return null;
        var s = decision.Section("abstain");
        var target = new AbstainTarget
        {
            Coverage = s.NullableDouble("coverage"), TargetAccuracy = s.NullableDouble("target_accuracy"),
            Score = s.String("score") is null ? null : s.Choice("score", "", [.. AbstainRule.Scores]),
        };
        s.EnsureOnlyKnownKeys();
        if (target.Coverage is not null && target.TargetAccuracy is not null)
            throw s.Error("target_accuracy", "give decision.abstain.coverage or decision.abstain.target_accuracy, not both");
        if (target.Coverage is null && target.TargetAccuracy is null)
            throw decision.Error("abstain", "decision.abstain needs coverage: (a fraction to keep, e.g. 0.9) or target_accuracy: (e.g. 0.95)");
        foreach (var (key, value) in new[] { ("coverage", target.Coverage), ("target_accuracy", target.TargetAccuracy) })
            if (value is { } v && AbstainTarget.FractionProblem(v) is { } problem) throw s.Error(key, problem);
        return target;
    }

    private static CalibrationSettings ReadCalibration(ConfigReader s)
    {
        var settings = new CalibrationSettings
        {
            Method = s.Choice("method", "none", "none", "temperature") == "temperature" ? CalibrationMethod.Temperature : CalibrationMethod.None,
            PerLabel = s.Bool("per_label", false),
        };
        s.EnsureOnlyKnownKeys();
        if (settings.PerLabel && !settings.Enabled) throw s.Error("per_label", "calibration.per_label needs calibration.method: temperature");
        return settings;
    }

    private static ContextOptions? ReadContext(ConfigReader s)
    {
        int turns = s.Int("turns", 0);
        if (turns < 0) throw s.Error("turns", "must be 0 or more");
        var c = new ContextOptions
        {
            Turns = turns, SpeakerTags = s.Bool("speaker_tags", false), CurrentSpeaker = s.Bool("current_speaker", false), Separator = s.String("separator", " ")!,
        };
        s.EnsureOnlyKnownKeys();
        return c.UsesConversation ? c : null;
    }
}

/// <summary>
/// The <c>data:</c> section: the file, and how to read it as the loader's own <see cref="DatasetOptions"/> (whose
/// documentation names each key), so a setting means the same from a config, a flag or C#.
/// </summary>
public sealed record DataSettings
{
    /// <summary>Data file (CSV, TSV or JSON Lines).</summary>
    public required string Path { get; init; }

    /// <summary>Columns, format and labels (context turns come from the <c>context:</c> section).</summary>
    public required DatasetOptions Options { get; init; }

    /// <summary>
    /// <c>sample</c>: a stratified slice of the data to try a recipe quickly — a fraction in (0, 1) or a whole count of
    /// examples (see <see cref="Splitting.DatasetSplitter.Sample"/>); null for all of it. Recorded in run.json.
    /// </summary>
    public double? Sample { get; init; }

    /// <summary><c>oversample</c>: top every class of the training split up to the largest by random duplication (single-label).</summary>
    public bool Oversample { get; init; }

    /// <summary>Reads the section.</summary>
    public static DataSettings Read(ConfigReader s)
    {
        var path = s.String("path") ?? throw s.Error("path", "no data file given (data.path, or --data FILE)");
        DataFormat? format = null;
        if (s.String("format") is { } f)
        {
            try { format = DataFormats.Parse(f); }
            catch (InputException e) { throw s.Error("format", e.Reason); }
        }
        var options = new DatasetOptions
        {
            Format = format,
            HasHeader = s.Bool("has_header", true),
            TextColumn = s.String("text_col", "text")!,
            LabelColumn = s.String("label_col", "label")!,
            LabelColumns = s.StringList("label_cols"),
            IdColumn = s.String("id_col"),
            IdColumns = s.StringList("id_cols"),
            Filter = Rule(s, "filter", (node, key) => Data.Rules.RowCondition.Parse(node, key)),
            DeriveLabel = Rule(s, "derive_label", (node, key) => Data.Rules.DerivedLabel.Parse(node, key)),
            LabelMap = LabelMap(s),
            GroupColumn = s.String("group_col"),
            SplitColumn = s.String("split_col"),
            OrderColumn = s.String("order_col"),
            SpeakerColumn = s.String("speaker_col"),
            Multilabel = s.Bool("multilabel", false),
            LabelDelimiter = s.String("label_delimiter", ",")!,
            LabelNamesFile = s.String("labels_file"),
            Labels = s.StringList("labels"),
            DropDuplicates = s.Bool("drop_duplicates", true),
        };
        var sample = s.NullableDouble("sample");
        if (sample is { } v && !(v > 0 && (v < 1 || (v == Math.Floor(v) && v <= int.MaxValue))))
            throw s.Error("sample", $"a fraction between 0 and 1 (exclusive) or a whole number of examples, got {v}");
        var oversample = s.Bool("oversample", false);
        if (oversample && options.IsMultilabel)
            throw s.Error("oversample", "random oversampling duplicates examples of the rarer classes, which multi-label data does not have; use class weights (pos_weight)");
        s.EnsureOnlyKnownKeys();
        return new DataSettings { Path = path, Options = options, Sample = sample, Oversample = oversample };
    }

    // A rule tree of the section, its errors pointed at the file and line of the key they name.
    private static T? Rule<T>(ConfigReader s, string key, Func<JsonNode, string, T> parse) where T : class
    {
        if (s.Node(key) is not { } node) return null;
        try { return parse(node, key); }
        catch (InputException e) { throw s.Error(e.Field ?? key, e.Reason); }
    }

    private static IReadOnlyDictionary<string, string?>? LabelMap(ConfigReader s)
    {
        if (s.Node("label_map") is not { } node) return null;
        if (node is not JsonObject o || o.Count == 0) throw s.Error("label_map", "expected a mapping of labels to labels, e.g. {\"n/a\": null, therapist_input: other}");
        var map = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (from, to) in o)
            map[from] = to switch
            {
                null => null,
                JsonValue v when v.TryGetValue(out string? name) && !string.IsNullOrWhiteSpace(name) => name.Trim(),
                JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.Number => v.ToJsonString(),
                _ => throw s.Error($"label_map.{from}", "map a label to another label's name, or to null to drop it"),
            };
        return map;
    }
}

/// <summary>The <c>split:</c> section: fractions of a random split (ignored when a split column or saved ids exist).</summary>
public sealed record SplitSettings
{
    /// <summary>Training fraction.</summary>
    public double Train { get; init; } = 0.70;
    /// <summary>Validation fraction.</summary>
    public double Val { get; init; } = 0.15;
    /// <summary>Test fraction.</summary>
    public double Test { get; init; } = 0.15;
    /// <summary>Stratify by label (default true).</summary>
    public bool Stratify { get; init; } = true;

    /// <summary>Reads the section and checks the fractions.</summary>
    public static SplitSettings Read(ConfigReader s)
    {
        var r = new SplitSettings
        {
            Train = s.Double("train", 0.70),
            Val = s.Double("val", 0.15),
            Test = s.Double("test", 0.15),
            Stratify = s.Bool("stratify", true),
        };
        s.EnsureOnlyKnownKeys();
        foreach (var (k, v) in new[] { ("train", r.Train), ("val", r.Val), ("test", r.Test) })
            if (v is < 0 or > 1) throw s.Error(k, "a fraction must be between 0 and 1");
        if (Math.Abs(r.Train + r.Val + r.Test - 1) > 1e-6) throw s.Error("train", $"train + val + test must be 1, got {r.Train + r.Val + r.Test}");
        if (r.Train <= 0) throw s.Error("train", "the training split cannot be empty");
        return r;
    }
}
