namespace Classify.Transformers.Training;

/// <summary>The <c>lr_scheduler_type</c> values, named as in Hugging Face's <c>SchedulerType</c>.</summary>
public enum LearningRateSchedulerType
{
    /// <summary><c>linear</c>: linear warmup, then linear decay to 0 at the last step (<c>get_linear_schedule_with_warmup</c>).</summary>
    Linear,
    /// <summary><c>cosine</c>: linear warmup, then half a cosine wave down to 0 (<c>get_cosine_schedule_with_warmup</c>, num_cycles 0.5).</summary>
    Cosine,
    /// <summary><c>constant</c>: the base rate throughout (<c>get_constant_schedule</c>).</summary>
    Constant,
    /// <summary><c>constant_with_warmup</c>: linear warmup, then the base rate (<c>get_constant_schedule_with_warmup</c>).</summary>
    ConstantWithWarmup,
}

/// <summary>
/// The learning-rate multiplier of transformers' schedules (<c>LambdaLR</c> lambdas in <c>optimization.py</c>) as a
/// pure function of the number of optimizer steps already taken, so a resumed run needs no scheduler object state.
/// </summary>
/// <param name="Type">Schedule shape.</param>
/// <param name="WarmupSteps">Steps of linear warmup from 0.</param>
/// <param name="TotalSteps">Total optimizer steps of the run (<c>num_training_steps</c>).</param>
internal sealed record LearningRateSchedule(LearningRateSchedulerType Type, int WarmupSteps, int TotalSteps)
{
    /// <summary>The cosine schedule's <c>num_cycles</c> (0.5 = one half wave from the peak down to 0).</summary>
    public const double CosineCycles = 0.5;

    /// <summary>The multiplier applied to the base rate for the optimizer step that follows <paramref name="step"/> completed steps.</summary>
    public double Factor(int step)
    {
        if (Type == LearningRateSchedulerType.Constant) return 1.0;
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        switch (Type)
        {
            case LearningRateSchedulerType.ConstantWithWarmup:
                return 1.0;
            case LearningRateSchedulerType.Linear:
                return Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
            default:
                double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * CosineCycles * 2.0 * progress)));
        }
    }

    /// <summary>
    /// HF's <c>get_warmup_steps</c>: <paramref name="warmupSteps"/> when positive, else ⌈<paramref name="totalSteps"/> × <paramref name="warmupRatio"/>⌉.
    /// </summary>
    public static int ResolveWarmupSteps(int warmupSteps, double warmupRatio, int totalSteps) =>
        warmupSteps > 0 ? warmupSteps : (int)Math.Ceiling(totalSteps * warmupRatio);
}
