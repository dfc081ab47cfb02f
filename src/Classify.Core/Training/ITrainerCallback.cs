namespace Classify.Core.Training;

/// <summary>
/// Hears a trainer's evaluations and may stop training, in the spirit of Hugging Face's
/// <c>TrainerCallback.on_evaluate</c> and <c>control.should_training_stop</c>. Tuning uses it to prune trials; the
/// transformer trainer calls it after each evaluation on the validation split, the linear trainer after each candidate
/// of a search that selects on the validation split.
/// </summary>
public interface ITrainerCallback
{
    /// <summary>Called after each evaluation; set <see cref="TrainerControl.ShouldStop"/> (via <see cref="TrainerControl.Stop"/>) to end training.</summary>
    void OnEvaluate(TrainerEvaluation evaluation, TrainerControl control);
}

/// <summary>One evaluation during training.</summary>
/// <param name="Step">The step it belongs to: an optimiser step (transformers) or a fold / candidate number (linear).</param>
/// <param name="Epoch">Fractional epoch, when the engine has epochs (else 0).</param>
/// <param name="Metrics">Metric values by key (<c>macro_f1</c>, <c>eval_loss</c> …), on the validation split or the fold.</param>
public sealed record TrainerEvaluation(long Step, double Epoch, IReadOnlyDictionary<string, double> Metrics);

/// <summary>What the callbacks ask of the trainer after an evaluation.</summary>
public sealed class TrainerControl
{
    /// <summary>True once a callback asked to stop.</summary>
    public bool ShouldStop { get; private set; }

    /// <summary>Why training was stopped (the first reason given).</summary>
    public string? StopReason { get; private set; }

    /// <summary>Asks the trainer to stop after this evaluation, keeping what it has (the best checkpoint so far).</summary>
    public void Stop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (ShouldStop) return;
        ShouldStop = true;
        StopReason = reason;
    }

    /// <summary>Calls every callback in order and returns the control they left.</summary>
    public static TrainerControl Notify(IReadOnlyList<ITrainerCallback> callbacks, TrainerEvaluation evaluation)
    {
        var control = new TrainerControl();
        foreach (var callback in callbacks) callback.OnEvaluate(evaluation, control);
        return control;
    }
}
