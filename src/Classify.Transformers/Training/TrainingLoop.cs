using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>
/// The optimizer-step loop shared by fine-tuning (<see cref="TransformerTrainer"/>) and masked-LM pretraining
/// (<see cref="Pretraining.MlmPretrainer"/>): epochs of seeded batches from <see cref="BatchSampler"/>, gradient
/// accumulation, torch re-seeded per step (<see cref="TransformerTrainer.StepSeed"/>), clipping, the AdamW step at the
/// schedule's rate, progress, <c>loss</c> rows every <c>logging_steps</c>, and resuming mid-epoch from
/// <see cref="TrainerState.GlobalStep"/>. What a step computes is pluggable: <see cref="ForwardBackward"/> runs the
/// forward and backward passes of one step's micro-batches (classification loss, or masking and the MLM loss) and
/// <see cref="AfterStep"/> evaluates and checkpoints.
/// </summary>
internal sealed class TrainingLoop
{
    /// <summary>The batch order, accumulation, step counts, schedule and per-step constants of the run.</summary>
    public required TrainingPlan Plan { get; init; }
    /// <summary>The run seed (dropout per step).</summary>
    public required int Seed { get; init; }
    /// <summary>A <c>loss</c> row every N steps.</summary>
    public required int LoggingSteps { get; init; }
    /// <summary>The optimizer.</summary>
    public required AdamW Optimizer { get; init; }
    /// <summary>With <c>bf16</c>: the bfloat16 copy that <see cref="ForwardBackward"/> runs, whose gradients go to the optimizer's float32 master weights.</summary>
    public Bf16WorkingCopy? Bf16 { get; init; }
    /// <summary>Progress (global step, epoch, stop flag), updated in place.</summary>
    public required TrainerState State { get; init; }
    /// <summary>Ctrl+C.</summary>
    public required CancellationToken Cancellation { get; init; }
    /// <summary>Forward and backward passes of one step's micro-batches (example indices); returns the step's loss. May call <see cref="OnCancel"/>.</summary>
    public required Func<int[][], double> ForwardBackward { get; init; }
    /// <summary>Called when cancellation is requested after a step's passes: checkpoints and throws.</summary>
    public required Action OnCancel { get; init; }
    /// <summary>Appends a log row.</summary>
    public required Action<JsonObject> Log { get; init; }
    /// <summary>Progress after each step: (step, loss, next learning rate).</summary>
    public Action<int, double, double>? Report { get; init; }
    /// <summary>After each step (and its log row): evaluation and checkpoints; the argument says whether an epoch ended.</summary>
    public Action<bool>? AfterStep { get; init; }

    private BatchSampler Sampler => Plan.Sampler;
    private int Accumulation => Plan.Accumulation;
    private int StepsPerEpoch => Plan.StepsPerEpoch;
    private int TotalSteps => Plan.TotalSteps;
    private int NumEpochs => Plan.NumEpochs;
    private double MaxGradNorm => Plan.MaxGradNorm;

    /// <summary>Runs from <see cref="TrainerState.GlobalStep"/> to the end or a stop; returns the summed step losses and the steps run.</summary>
    public (double TotalLoss, int StepsRun) Run()
    {
        int startStep = State.GlobalStep;
        double lossSinceLog = 0, totalLoss = 0;
        int stepsSinceLog = 0;
        Bf16?.SyncWeights();   // the master may have been loaded from a checkpoint since the copy was made
        for (int epoch = State.GlobalStep / StepsPerEpoch; epoch < NumEpochs && State.GlobalStep < TotalSteps && !State.ShouldTrainingStop; epoch++)
        {
            var batches = Sampler.Batches(epoch);
            for (int u = State.GlobalStep - epoch * StepsPerEpoch; u < StepsPerEpoch && State.GlobalStep < TotalSteps; u++)
            {
                var micro = batches.Skip(u * Accumulation).Take(Accumulation).ToArray();
                random.manual_seed(TransformerTrainer.StepSeed(Seed, State.GlobalStep));
                // With bf16 the master's gradients are overwritten by the copy's, so only the copy's need clearing.
                if (Bf16 is { } copy) copy.ZeroGrad();
                else Optimizer.ZeroGrad();
                double stepLoss = ForwardBackward(micro);
                if (Cancellation.IsCancellationRequested) OnCancel();
                Bf16?.GradientsToMaster();

                double gradNorm = nn.utils.clip_grad_norm_(Optimizer.Parameters, MaxGradNorm > 0 ? MaxGradNorm : double.PositiveInfinity);
                double lr = Plan.LearningRateAt(State.GlobalStep);
                Optimizer.Step(lr);
                Bf16?.SyncWeights();
                State.GlobalStep++;
                State.Epoch = epoch + (double)(u + 1) / StepsPerEpoch;
                lossSinceLog += stepLoss;
                totalLoss += stepLoss;
                stepsSinceLog++;
                double nextLr = Plan.LearningRateAt(State.GlobalStep);
                Report?.Invoke(State.GlobalStep, stepLoss, nextLr);

                if (State.GlobalStep % LoggingSteps == 0)
                {
                    Log(new JsonObject
                    {
                        ["loss"] = lossSinceLog / stepsSinceLog, ["grad_norm"] = gradNorm,
                        ["learning_rate"] = nextLr, ["epoch"] = Math.Round(State.Epoch, 4), ["step"] = State.GlobalStep,
                    });
                    lossSinceLog = 0;
                    stepsSinceLog = 0;
                }

                AfterStep?.Invoke(u == StepsPerEpoch - 1 || State.GlobalStep == TotalSteps);
                if (State.ShouldTrainingStop) break;
            }
        }
        return (totalLoss, State.GlobalStep - startStep);
    }
}

/// <summary>
/// A run's optimizer steps as fine-tuning and pretraining both derive them from <see cref="OptimizationArguments"/>: the
/// batch order, micro-batches per step, step and epoch counts (HF's <c>max_steps</c>, else <c>num_train_epochs</c>), the
/// learning-rate schedule with its warm-up, the peak rate and the clipping norm.
/// </summary>
internal sealed record TrainingPlan(BatchSampler Sampler, int Accumulation, int StepsPerEpoch, int TotalSteps, int NumEpochs,
    LearningRateSchedule Schedule, double LearningRate, double MaxGradNorm)
{
    /// <summary>The plan of <paramref name="args"/> over <paramref name="sampler"/>'s batches; writes its step and epoch counts and batch size into <paramref name="state"/>.</summary>
    public static TrainingPlan For(OptimizationArguments args, BatchSampler sampler, TrainerState state)
    {
        int accumulation = args.GradientAccumulationSteps;
        var (stepsPerEpoch, totalSteps, numEpochs) = Steps(sampler.BatchesPerEpoch, accumulation, args.MaxSteps, args.NumTrainEpochs);
        var schedule = new LearningRateSchedule(args.LrSchedulerType,
            LearningRateSchedule.ResolveWarmupSteps(args.WarmupSteps, args.WarmupRatio, totalSteps), totalSteps);
        state.MaxSteps = totalSteps;
        state.NumTrainEpochs = numEpochs;
        state.TrainBatchSize = args.PerDeviceTrainBatchSize;
        return new TrainingPlan(sampler, accumulation, stepsPerEpoch, totalSteps, numEpochs, schedule, args.LearningRate, args.MaxGradNorm);
    }

    /// <summary>The learning rate of the step after <paramref name="step"/> optimizer steps.</summary>
    public double LearningRateAt(int step) => Schedule.Factor(step) * LearningRate;

    /// <summary>(steps per epoch, total steps, epochs) of a run: HF's <c>max_steps</c> or <c>num_train_epochs</c> over <paramref name="batchesPerEpoch"/> batches.</summary>
    internal static (int StepsPerEpoch, int TotalSteps, int NumEpochs) Steps(int batchesPerEpoch, int accumulation, int maxSteps, double numTrainEpochs)
    {
        int stepsPerEpoch = Math.Max(1, (batchesPerEpoch + accumulation - 1) / accumulation);
        int totalSteps = maxSteps > 0 ? maxSteps : (int)Math.Ceiling(numTrainEpochs * stepsPerEpoch);
        int numEpochs = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch;
        return (stepsPerEpoch, totalSteps, numEpochs);
    }
}
