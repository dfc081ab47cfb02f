using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Classify.Core.IO;

namespace Classify.Core.Runs;

/// <summary>
/// The contents of <c>run.json</c>: what a run was asked to do (resolved config), on which data (path, hash,
/// counts), with which seed and versions, how long it took and how it ended. Rewritten atomically as the run
/// progresses, so a crashed run still says how far it got.
/// </summary>
public sealed record RunInfo
{
    /// <summary>Run name (also the run folder name).</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Unique run id recorded in the ledger.</summary>
    [JsonPropertyName("run_id")] public required string RunId { get; init; }
    /// <summary>running, completed, failed, cancelled or interrupted (see <see cref="RunStatus"/>).</summary>
    [JsonPropertyName("status")] public string Status { get; init; } = RunStatus.Running;
    /// <summary>Error message when the run failed, was cancelled or was interrupted.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }
    /// <summary>Start time (UTC).</summary>
    [JsonPropertyName("created_utc")] public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;
    /// <summary>End time (UTC).</summary>
    [JsonPropertyName("finished_utc")] public DateTime? FinishedUtc { get; init; }
    /// <summary>The seed driving splits, initialisation and shuffling.</summary>
    [JsonPropertyName("seed")] public int Seed { get; init; }
    /// <summary>Task kind name.</summary>
    [JsonPropertyName("task")] public string? Task { get; init; }
    /// <summary>Label names in index order.</summary>
    [JsonPropertyName("labels")] public IReadOnlyList<string>? Labels { get; init; }
    /// <summary>Engine name.</summary>
    [JsonPropertyName("engine")] public string? Engine { get; init; }
    /// <summary>The resolved configuration.</summary>
    [JsonPropertyName("config")] public JsonNode? Config { get; init; }
    /// <summary>Data provenance and cleaning counts.</summary>
    [JsonPropertyName("data")] public RunDataInfo? Data { get; init; }
    /// <summary>Examples per split.</summary>
    [JsonPropertyName("split_sizes")] public IReadOnlyDictionary<string, int>? SplitSizes { get; init; }
    /// <summary>Per split, examples per label.</summary>
    [JsonPropertyName("class_counts")] public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>? ClassCounts { get; init; }
    /// <summary>Versions of Classify, .NET, the OS and engine libraries.</summary>
    [JsonPropertyName("versions")] public IReadOnlyDictionary<string, string>? Versions { get; init; }
    /// <summary>Timings in seconds (total_seconds, load_seconds, train_seconds, train_cpu_seconds: user + system CPU of all threads while training, eval_seconds).</summary>
    [JsonPropertyName("timings")] public IReadOnlyDictionary<string, double>? Timings { get; init; }
    /// <summary>For searches: the selection metric, its best value and the best parameters.</summary>
    [JsonPropertyName("best")] public JsonNode? Best { get; init; }
    /// <summary>What the engine reports of training (steps run, early stopping and why, best checkpoint …), or null.</summary>
    [JsonPropertyName("training")] public JsonNode? Training { get; init; }

    /// <summary>The temperature fitted on validation, or null when the run did not calibrate (<c>calibration.method</c>).</summary>
    [JsonPropertyName("calibration"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RunCalibrationInfo? Calibration { get; init; }

    /// <summary>What the abstain threshold fit found on validation (<c>decision.abstain</c>), or null when the config has none.</summary>
    [JsonPropertyName("abstain"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RunAbstainInfo? Abstain { get; init; }

    /// <summary>Writes run.json atomically.</summary>
    public void Save(RunLayout layout) => AtomicFile.WriteJson(layout.RunJson, this);

    /// <summary>Reads run.json from a run folder.</summary>
    public static RunInfo Load(RunLayout layout)
    {
        if (!File.Exists(layout.RunJson)) throw new InputException("no run.json: not a Classify run folder", layout.Root);
        try
        {
            return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(layout.RunJson), AtomicFile.JsonOptions)
                   ?? throw new InputException("empty run.json", layout.RunJson);
        }
        catch (JsonException e)
        {
            throw new InputException($"malformed JSON: {e.Message}", layout.RunJson, e.LineNumber + 1, e.Path, e);
        }
    }

    /// <summary>Versions recorded for every run.</summary>
    public static Dictionary<string, string> CurrentVersions() => new()
    {
        ["classify"] = ClassifyInfo.Version,
        ["dotnet"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        ["processors"] = Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// The states of a run (run.json <c>status</c> and the ledger's <c>status</c> column). A run is <see cref="Running"/>
/// while a process holds its <c>run.lock</c>; it ends <see cref="Completed"/> (model, metrics, predictions and ledger
/// rows final; report, model card and summary follow under the same lock), <see cref="Failed"/> (an error),
/// <see cref="Cancelled"/> (Ctrl+C or SIGTERM) or <see cref="Interrupted"/> (the process ended without recording an end,
/// e.g. kill -9: set by the next command that finds the run). <see cref="Overwritten"/> is a ledger-only state: the run
/// folder was replaced by a later run of the same name (<c>--overwrite</c>).
/// </summary>
public static class RunStatus
{
    /// <summary>A process is writing the run.</summary>
    public const string Running = "running";
    /// <summary>The run finished.</summary>
    public const string Completed = "completed";
    /// <summary>The run stopped on an error (run.json <c>error</c>).</summary>
    public const string Failed = "failed";
    /// <summary>The user stopped the run (Ctrl+C, SIGTERM).</summary>
    public const string Cancelled = "cancelled";
    /// <summary>The process writing the run ended without finishing it (killed, crashed, power lost).</summary>
    public const string Interrupted = "interrupted";
    /// <summary>Ledger only: the run's folder now holds a later run of the same name.</summary>
    public const string Overwritten = "overwritten";
}

/// <summary>Where the data came from and what loading did to it.</summary>
public sealed record RunDataInfo
{
    /// <summary>Path of the data file as given.</summary>
    [JsonPropertyName("path")] public required string Path { get; init; }
    /// <summary>SHA-256 of the file's bytes.</summary>
    [JsonPropertyName("sha256")] public string? Sha256 { get; init; }
    /// <summary>Records read.</summary>
    [JsonPropertyName("rows_read")] public long RowsRead { get; init; }
    /// <summary>Examples kept.</summary>
    [JsonPropertyName("rows_used")] public long RowsUsed { get; init; }
    /// <summary>Rows dropped because the text was empty.</summary>
    [JsonPropertyName("empty_dropped")] public long EmptyDropped { get; init; }
    /// <summary>Exact duplicates (same text, same labels) dropped.</summary>
    [JsonPropertyName("duplicates_dropped")] public long DuplicatesDropped { get; init; }
    /// <summary>Texts that occur with different labels (kept, reported).</summary>
    [JsonPropertyName("conflicting_duplicates")] public long ConflictingDuplicates { get; init; }
    /// <summary>Invalid UTF-8 sequences replaced by U+FFFD.</summary>
    [JsonPropertyName("invalid_utf8_replaced")] public long InvalidUtf8Replaced { get; init; }
    /// <summary>Rows skipped by <c>data.filter</c>.</summary>
    [JsonPropertyName("filtered_out")] public long FilteredOut { get; init; }
    /// <summary>Single-label rows skipped because <c>data.label_map</c> dropped their label.</summary>
    [JsonPropertyName("label_dropped")] public long LabelDropped { get; init; }
    /// <summary>The <c>data.sample</c> asked for, or null (all the data).</summary>
    [JsonPropertyName("sample"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Sample { get; init; }
    /// <summary>Examples before the sample (rows_used is the sample), or null.</summary>
    [JsonPropertyName("rows_before_sample"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? RowsBeforeSample { get; init; }
    /// <summary>Copies added to the training split by <c>data.oversample</c> (0 without it).</summary>
    [JsonPropertyName("oversampled_rows")] public long OversampledRows { get; init; }

    /// <summary>The run.json record of what loading a data file did.</summary>
    public static RunDataInfo From(Data.DatasetStats s) => new()
    {
        Path = s.Path, Sha256 = s.Sha256, RowsRead = s.RowsRead, RowsUsed = s.RowsUsed, EmptyDropped = s.EmptyDropped,
        DuplicatesDropped = s.DuplicatesDropped, ConflictingDuplicates = s.ConflictingDuplicates, InvalidUtf8Replaced = s.InvalidUtf8Replaced,
        FilteredOut = s.FilteredOut, LabelDropped = s.LabelDropped, Sample = s.Sample, RowsBeforeSample = s.RowsBeforeSample,
    };
}

/// <summary>The <c>calibration</c> object of run.json: what was fitted on the validation split.</summary>
public sealed record RunCalibrationInfo
{
    /// <summary>The method (<c>temperature</c>).</summary>
    [JsonPropertyName("method")] public required string Method { get; init; }
    /// <summary>The fitted temperature (1 when the labels have their own), also stored in model/classify.json.</summary>
    [JsonPropertyName("temperature")] public required double Temperature { get; init; }
    /// <summary>Per-label temperatures (<c>calibration.per_label</c>), also stored in model/classify.json; null otherwise.</summary>
    [JsonPropertyName("label_temperatures"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? LabelTemperatures { get; init; }
    /// <summary>Validation NLL at temperature 1.</summary>
    [JsonPropertyName("val_nll_before")] public double NllBefore { get; init; }
    /// <summary>Validation NLL at the fitted temperature.</summary>
    [JsonPropertyName("val_nll_after")] public double NllAfter { get; init; }
}

/// <summary>
/// The <c>abstain</c> object of run.json: the <c>decision.abstain</c> target, whether validation reached it, and the
/// threshold stored in model/classify.json. An unreached <c>target_accuracy</c> stores no rule: <see cref="Threshold"/> is
/// null and the validation figures are those of the best cut (the highest accuracy any threshold reaches).
/// </summary>
public sealed record RunAbstainInfo
{
    /// <summary>The confidence score ranked by (<see cref="Prediction.AbstainRule.Scores"/>).</summary>
    [JsonPropertyName("score")] public required string Score { get; init; }
    /// <summary>The asked coverage, or null.</summary>
    [JsonPropertyName("coverage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Coverage { get; init; }
    /// <summary>The asked accuracy of the kept examples, or null.</summary>
    [JsonPropertyName("target_accuracy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? TargetAccuracy { get; init; }
    /// <summary>Whether validation reached the target (always for a coverage); when false the package has no abstain rule.</summary>
    [JsonPropertyName("reached")] public required bool Reached { get; init; }
    /// <summary>The stored abstain threshold, or null when the target was not reached.</summary>
    [JsonPropertyName("threshold")] public double? Threshold { get; init; }
    /// <summary>Validation coverage of the threshold (unreached: of the best cut).</summary>
    [JsonPropertyName("val_coverage")] public required double ValidationCoverage { get; init; }
    /// <summary>Validation accuracy of the kept examples (unreached: the best any cut reaches).</summary>
    [JsonPropertyName("val_accuracy")] public required double ValidationAccuracy { get; init; }
}
