using Classify.Tuning.Trials;

namespace Classify.Tuning.Study;

/// <summary>
/// The paths of a tuning run folder, <c>&lt;runs_dir&gt;/&lt;study&gt;/</c> (docs/tuning.md, "Outputs"): the trials and
/// what was learnt from them under <c>tuning/</c>, charts under <c>plots/</c>, the best configuration retrained as a
/// normal run in <c>best/</c>.
/// </summary>
public sealed class TuningLayout
{
    /// <summary>Wraps a tuning run folder (it need not exist yet).</summary>
    public TuningLayout(string root) => Root = Path.GetFullPath(root);

    /// <summary>The tuning run folder.</summary>
    public string Root { get; }
    /// <summary>tuning/: tables and the study summary.</summary>
    public string TuningDirectory => Path.Combine(Root, "tuning");
    /// <summary>tuning/trials.csv: one row per trial.</summary>
    public string TrialsCsv => Path.Combine(TuningDirectory, "trials.csv");
    /// <summary>tuning/importances.csv: parameter importances and the method.</summary>
    public string ImportancesCsv => Path.Combine(TuningDirectory, "importances.csv");
    /// <summary>tuning/study.json: definition, counts, best trial, times (what the comparison reads).</summary>
    public string StudyJson => Path.Combine(TuningDirectory, "study.json");
    /// <summary>tuning/comparison.csv: the studies of the same task side by side (grid vs random vs TPE).</summary>
    public string ComparisonCsv => Path.Combine(TuningDirectory, "comparison.csv");
    /// <summary>tuning/trials/: scratch run folders of running trials (each deleted when its trial ends).</summary>
    public string TrialRunsDirectory => Path.Combine(TuningDirectory, "trials");
    /// <summary>plots/: PNG and SVG charts.</summary>
    public string PlotsDirectory => Path.Combine(Root, "plots");
    /// <summary>best/: the best configuration retrained and evaluated as a normal run (with its report).</summary>
    public string BestRunDirectory => Path.Combine(Root, BestRunName);
    /// <summary>The best run's name (its folder inside the tuning run folder).</summary>
    public const string BestRunName = "best";
}

/// <summary>Everything known about a study after a worker's session, for the writers of outputs.</summary>
/// <param name="Settings">The <c>tune:</c> section.</param>
/// <param name="Study">The stored study.</param>
/// <param name="Trials">Every trial of the study, by number.</param>
/// <param name="Best">The best complete trial, or null.</param>
/// <param name="Importances">Parameter importances (empty when there were too few complete trials).</param>
/// <param name="Comparison">This study and the other studies of the same task found beside it.</param>
public sealed record TuningSnapshot(TuneSettings Settings, Storage.StudyInfo Study, IReadOnlyList<StudyTrial> Trials, StudyTrial? Best,
    IReadOnlyList<ParameterImportanceValue> Importances, IReadOnlyList<StudyComparisonRow> Comparison);

/// <summary>Writes outputs of a tuning run from its snapshot (the CLI adds the charts of Classify.Reports).</summary>
public interface ITuningArtifactWriter
{
    /// <summary>Writes into <paramref name="layout"/>; <paramref name="log"/> hears what was written.</summary>
    void Write(TuningLayout layout, TuningSnapshot snapshot, Action<string>? log, CancellationToken cancellationToken);
}
