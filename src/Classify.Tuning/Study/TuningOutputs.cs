using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Study;

/// <summary>One study in the comparison of studies of the same task (the tweet workflow's grid vs random vs TPE table).</summary>
/// <param name="Study">Study name (its tuning run folder).</param>
/// <param name="Sampler">Sampler name.</param>
/// <param name="Pruner">Pruner name.</param>
/// <param name="Metric">The metric and where it was measured (macro_f1@val).</param>
/// <param name="BestValue">The best complete trial's value, or null.</param>
/// <param name="BestTrial">Its number, or null.</param>
/// <param name="Complete">Complete trials.</param>
/// <param name="Pruned">Pruned trials.</param>
/// <param name="Failed">Failed trials.</param>
/// <param name="TrialSeconds">Seconds spent in trials, summed over workers.</param>
/// <param name="WallSeconds">From the first trial's start to the last one's end.</param>
public sealed record StudyComparisonRow(string Study, string Sampler, string Pruner, string Metric, double? BestValue, int? BestTrial,
    int Complete, int Pruned, int Failed, double TrialSeconds, double WallSeconds);

/// <summary>
/// The tables of a tuning run folder: <c>tuning/trials.csv</c>, <c>tuning/importances.csv</c>, <c>tuning/study.json</c>
/// and <c>tuning/comparison.csv</c>, each written atomically and rewritten whole from the storage by every worker
/// session, so the last writer's files are complete.
/// </summary>
public sealed class TuningOutputs : ITuningArtifactWriter
{
    /// <inheritdoc />
    public void Write(TuningLayout layout, TuningSnapshot snapshot, Action<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(snapshot);
        WriteTrials(layout.TrialsCsv, snapshot.Settings.Space, snapshot.Trials);
        WriteImportances(layout.ImportancesCsv, snapshot.Importances);
        AtomicFile.WriteAllText(layout.StudyJson, StudySummary(snapshot).ToJsonString(AtomicFile.JsonOptions));
        WriteComparison(layout.ComparisonCsv, snapshot.Comparison);
        log?.Invoke($"tuning tables: {layout.TuningDirectory} (trials.csv, importances.csv, study.json, comparison.csv)");
    }

    /// <summary>Writes trials.csv: number, state, one column per parameter, value, intermediate values, seconds, worker, retry and error.</summary>
    public static void WriteTrials(string path, SearchSpace space, IReadOnlyList<StudyTrial> trials)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(trials);
        AtomicFile.WriteText(path, w =>
        {
            var csv = new CsvWriter(w);
            csv.WriteRow(["number", "state", .. space.Parameters.Select(p => p.Key), "value", "intermediate_count", "last_step", "seconds", "worker",
                "retry_of", "started_utc", "finished_utc", "error"]);
            foreach (var t in trials)
                csv.WriteRow([
                    Format(t.Number), t.State.ToString().ToLowerInvariant(),
                    .. space.Parameters.Select(p => t.Parameters.TryGetValue(p.Key, out var v) ? ValueText(v) : null),
                    CsvWriter.Format(t.Value), Format(t.IntermediateValues.Count),
                    t.IntermediateValues.Count == 0 ? null : Format(t.IntermediateValues.Keys.Max()),
                    Seconds(t) is { } s ? CsvWriter.Format(Math.Round(s, 3)) : null, t.Worker, t.RetryOf is { } r ? Format(r) : null,
                    CsvWriter.Format(t.StartedUtc), CsvWriter.Format(t.FinishedUtc), t.Error,
                ]);
        });
    }

    /// <summary>A parameter value as a table cell: text as itself, anything else as JSON.</summary>
    public static string? ValueText(object? value) => value switch
    {
        null => null,
        string s => s,
        _ => ParameterValues.ToJson(value),
    };

    /// <summary>A trial's duration in seconds, when it has started and ended.</summary>
    public static double? Seconds(StudyTrial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        return trial is { StartedUtc: { } start, FinishedUtc: { } end } ? (end - start).TotalSeconds : null;
    }

    private static void WriteImportances(string path, IReadOnlyList<ParameterImportanceValue> importances) =>
        AtomicFile.WriteText(path, w =>
        {
            var csv = new CsvWriter(w);
            csv.WriteRow(["parameter", "importance", "mse_increase", "method"]);
            foreach (var i in importances)
                csv.WriteRow([i.Key, CsvWriter.Format(i.Importance), CsvWriter.Format(i.MseIncrease), ParameterImportance.Method]);
        });

    private static void WriteComparison(string path, IReadOnlyList<StudyComparisonRow> rows) =>
        AtomicFile.WriteText(path, w =>
        {
            var csv = new CsvWriter(w);
            csv.WriteRow(["study", "sampler", "pruner", "metric", "best_value", "best_trial", "complete", "pruned", "failed", "trial_seconds", "wall_seconds"]);
            foreach (var r in rows)
                csv.WriteValues(r.Study, r.Sampler, r.Pruner, r.Metric, r.BestValue, r.BestTrial, r.Complete, r.Pruned, r.Failed,
                    Math.Round(r.TrialSeconds, 3), Math.Round(r.WallSeconds, 3));
        });

    /// <summary>The study.json document of a snapshot.</summary>
    public static JsonObject StudySummary(TuningSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var row = ComparisonRow(snapshot);
        var definition = JsonNode.Parse(snapshot.Study.Definition.DefinitionJson) as JsonObject ?? [];
        return new JsonObject
        {
            ["study"] = snapshot.Study.Definition.Name,
            ["metric"] = snapshot.Settings.Metric,
            ["objective"] = snapshot.Study.Definition.Metric,
            ["direction"] = snapshot.Study.Definition.Direction.ToString().ToLowerInvariant(),
            ["sampler"] = snapshot.Settings.Sampler.Name,
            ["pruner"] = snapshot.Settings.Pruner.Name,
            ["n_trials"] = snapshot.Settings.Trials,
            ["base_config_sha256"] = definition["base_config_sha256"]?.DeepClone(),
            ["created_utc"] = snapshot.Study.CreatedUtc.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            ["trials"] = new JsonObject
            {
                ["total"] = snapshot.Trials.Count, ["counted"] = StudyDriver.CountFinished(snapshot.Trials), ["complete"] = row.Complete,
                ["pruned"] = row.Pruned, ["failed"] = row.Failed,
                ["running"] = snapshot.Trials.Count(t => t.State == TrialState.Running), ["waiting"] = snapshot.Trials.Count(t => t.State == TrialState.Waiting),
            },
            ["best"] = snapshot.Best is not { } best ? null : new JsonObject
            {
                ["number"] = best.Number, ["value"] = best.Value,
                ["params"] = JsonNode.Parse(ParameterValues.ToJson(best.Parameters)),
            },
            ["trial_seconds"] = row.TrialSeconds,
            ["wall_seconds"] = row.WallSeconds,
            ["importance_method"] = ParameterImportance.Method,
            ["definition"] = definition.DeepClone(),
        };
    }

    /// <summary>The comparison row of a snapshot's study.</summary>
    public static StudyComparisonRow ComparisonRow(TuningSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var trials = snapshot.Trials;
        var started = trials.Where(t => t.StartedUtc is not null).Select(t => t.StartedUtc!.Value).ToArray();
        var finished = trials.Where(t => t.FinishedUtc is not null).Select(t => t.FinishedUtc!.Value).ToArray();
        return new StudyComparisonRow(snapshot.Study.Definition.Name, snapshot.Settings.Sampler.Name, snapshot.Settings.Pruner.Name,
            snapshot.Study.Definition.Metric, snapshot.Best?.Value, snapshot.Best?.Number,
            trials.Count(t => t.State == TrialState.Complete), trials.Count(t => t.State == TrialState.Pruned), trials.Count(t => t.State == TrialState.Failed),
            trials.Sum(t => Seconds(t) ?? 0),
            started.Length == 0 || finished.Length == 0 ? 0 : Math.Max(0, (finished.Max() - started.Min()).TotalSeconds));
    }

    /// <summary>
    /// This study's row and the rows of the other tuning run folders in <paramref name="runsDirectory"/> whose
    /// <c>study.json</c> has the same base config hash and objective: the same task tuned by other samplers.
    /// Unreadable summaries are skipped.
    /// </summary>
    public static IReadOnlyList<StudyComparisonRow> Compare(string runsDirectory, TuningSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var own = ComparisonRow(snapshot);
        var ownSummary = StudySummary(snapshot);
        var rows = new List<StudyComparisonRow> { own };
        if (!Directory.Exists(runsDirectory)) return rows;
        foreach (var folder in Directory.EnumerateDirectories(runsDirectory))
        {
            var path = new TuningLayout(folder).StudyJson;
            if (!File.Exists(path)) continue;
            JsonObject? other;
            try { other = JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
            catch (Exception e) when (e is JsonException or IOException) { continue; }
            if (other is null || other["study"]?.GetValue<string>() is not { } name || name == own.Study) continue;
            if (!JsonNode.DeepEquals(other["base_config_sha256"], ownSummary["base_config_sha256"]) || other["objective"]?.GetValue<string>() != own.Metric) continue;
            rows.Add(new StudyComparisonRow(name, other["sampler"]?.GetValue<string>() ?? "?", other["pruner"]?.GetValue<string>() ?? "?", own.Metric,
                other["best"]?["value"]?.GetValue<double>(), other["best"]?["number"]?.GetValue<int>(),
                other["trials"]?["complete"]?.GetValue<int>() ?? 0, other["trials"]?["pruned"]?.GetValue<int>() ?? 0,
                other["trials"]?["failed"]?.GetValue<int>() ?? 0, other["trial_seconds"]?.GetValue<double>() ?? 0, other["wall_seconds"]?.GetValue<double>() ?? 0));
        }
        return rows.OrderBy(r => r.Sampler, StringComparer.Ordinal).ThenBy(r => r.Study, StringComparer.Ordinal).ToArray();
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
