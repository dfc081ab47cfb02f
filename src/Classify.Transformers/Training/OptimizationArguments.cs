namespace Classify.Transformers.Training;

/// <summary>
/// What fine-tuning (<see cref="TrainingArguments"/>) and masked-LM pretraining (<see cref="Pretraining.PretrainingArguments"/>)
/// share: the model, its tokenizer, and the optimiser, schedule and batch settings of the training loop, under Hugging
/// Face <c>TrainingArguments</c> names and defaults.
/// </summary>
public abstract record OptimizationArguments
{
    /// <summary><c>model</c>: an HF model folder, a Hub id, or <c>scratch:&lt;family&gt;-&lt;size&gt;</c> (e.g. <c>scratch:bert-mini</c>).</summary>
    public required string Model { get; init; }
    /// <summary><c>tokenizer</c>: folder with the tokenizer files; defaults to the model folder (required for scratch models).</summary>
    public string? Tokenizer { get; init; }
    /// <summary><c>learning_rate</c>: peak AdamW learning rate (default 5e-5).</summary>
    public double LearningRate { get; init; } = 5e-5;
    /// <summary><c>per_device_train_batch_size</c> (default 8).</summary>
    public int PerDeviceTrainBatchSize { get; init; } = 8;
    /// <summary><c>per_device_eval_batch_size</c> (default 8).</summary>
    public int PerDeviceEvalBatchSize { get; init; } = 8;
    /// <summary><c>gradient_accumulation_steps</c>: micro-batches per optimizer step (default 1).</summary>
    public int GradientAccumulationSteps { get; init; } = 1;
    /// <summary><c>num_train_epochs</c> (default 3; fractions allowed).</summary>
    public double NumTrainEpochs { get; init; } = 3;
    /// <summary><c>max_steps</c>: when positive, the total number of optimizer steps (overrides <see cref="NumTrainEpochs"/>).</summary>
    public int MaxSteps { get; init; } = -1;
    /// <summary><c>weight_decay</c>: decoupled AdamW decay, not applied to biases and norm weights (default 0).</summary>
    public double WeightDecay { get; init; }
    /// <summary><c>adam_beta1</c> (default 0.9).</summary>
    public double AdamBeta1 { get; init; } = 0.9;
    /// <summary><c>adam_beta2</c> (default 0.999).</summary>
    public double AdamBeta2 { get; init; } = 0.999;
    /// <summary><c>adam_epsilon</c> (default 1e-8).</summary>
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary><c>lr_scheduler_type</c> (default linear).</summary>
    public LearningRateSchedulerType LrSchedulerType { get; init; } = LearningRateSchedulerType.Linear;
    /// <summary><c>warmup_ratio</c>: warmup as a fraction of the total steps (used when <see cref="WarmupSteps"/> is 0).</summary>
    public double WarmupRatio { get; init; }
    /// <summary><c>warmup_steps</c>.</summary>
    public int WarmupSteps { get; init; }
    /// <summary><c>max_grad_norm</c>: gradient clipping norm; 0 turns clipping off (default 1).</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>
    /// <c>bf16</c> (HF's name): forward and backward passes in bfloat16, with float32 master weights, gradients for
    /// clipping, and AdamW moments (<see cref="Bf16WorkingCopy"/>); checkpoints and the saved model stay float32. Needs a
    /// CPU with <c>avx512_bf16</c> or <c>amx_bf16</c> (<see cref="Bf16Support"/>); training refuses to start elsewhere.
    /// Default false.
    /// </summary>
    public bool Bf16 { get; init; }
}
