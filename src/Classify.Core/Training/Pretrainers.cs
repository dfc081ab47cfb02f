using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.Plugins;

namespace Classify.Core.Training;

/// <summary>
/// Pretraining of an encoder on unlabelled text (the <c>classify pretrain</c> verb), behind a seam so that the shell
/// parses arguments without referencing the engine that does the work (and its tensor library).
/// </summary>
public interface IPretrainer
{
    /// <summary>The objective, e.g. <c>mlm</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Reads and checks the settings (the root of a config with <c>data:</c> and <c>pretrain:</c> sections) without
    /// writing anything; errors are <see cref="IO.InputException"/>s naming the file, line and key.
    /// </summary>
    IPretrainingJob Prepare(ConfigReader settings);
}

/// <summary>Checked pretraining settings, ready to run.</summary>
public interface IPretrainingJob
{
    /// <summary>
    /// Runs (or with <paramref name="resume"/> continues) the pretraining into <paramref name="outputDirectory"/>.
    /// </summary>
    /// <exception cref="IO.InputException">Bad input; nothing is written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; a checkpoint is left for <paramref name="resume"/>.</exception>
    PretrainingOutcome Run(string outputDirectory, bool resume, Action<string>? log, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken);
}

/// <summary>What a pretraining run wrote.</summary>
/// <param name="OutputDirectory">The model folder.</param>
/// <param name="LogJsonl">Its training log (one JSON object per line).</param>
/// <param name="Metrics">The final metrics (<c>global_step</c>, <c>train_loss</c>, <c>eval_loss</c>, <c>perplexity</c>, …).</param>
public sealed record PretrainingOutcome(string OutputDirectory, string LogJsonl, JsonObject Metrics);

/// <summary>The registry of <see cref="IPretrainer"/>s (filled by engine plugins).</summary>
public static class Pretrainers
{
    private static readonly NamedRegistry<IPretrainer> Registered = new(p => p.Name);

    /// <summary>Registers a pretrainer (idempotent per name).</summary>
    public static void Register(IPretrainer pretrainer) => Registered.Register(pretrainer);

    /// <summary>The pretrainer of that name, or null when none is registered.</summary>
    public static IPretrainer? Find(string name) => Registered.Find(name);
}
