using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.Metrics;

namespace Classify.Transformers.Training;

/// <summary>When evaluations or checkpoints happen (Hugging Face's <c>IntervalStrategy</c>).</summary>
public enum IntervalStrategy
{
    /// <summary><c>no</c>: never.</summary>
    No,
    /// <summary><c>steps</c>: every N optimizer steps.</summary>
    Steps,
    /// <summary><c>epoch</c>: at the end of every epoch.</summary>
    Epoch,
}

/// <summary>
/// The settings of a fine-tuning run, read from the <c>transformer:</c> section of the config by
/// <see cref="TransformerOptions.Parse"/>. Keys and meanings are Hugging Face <c>TrainingArguments</c> names; the few
/// defaults that differ from HF are noted on the property.
/// </summary>
public sealed record TrainingArguments : OptimizationArguments
{
    /// <summary><c>eval_strategy</c>. Default <c>epoch</c> when there is a validation split (HF: <c>no</c>).</summary>
    public IntervalStrategy EvalStrategy { get; init; } = IntervalStrategy.Epoch;
    /// <summary><c>eval_steps</c> for the <c>steps</c> strategy (default <see cref="LoggingSteps"/>).</summary>
    public int EvalSteps { get; init; } = 50;
    /// <summary><c>logging_steps</c>: a training-loss row in log.jsonl every N steps (default 50; HF: 500).</summary>
    public int LoggingSteps { get; init; } = 50;
    /// <summary><c>save_strategy</c>: when checkpoints are written (default: the evaluation strategy).</summary>
    public IntervalStrategy SaveStrategy { get; init; } = IntervalStrategy.Epoch;
    /// <summary><c>save_steps</c> for the <c>steps</c> strategy (default <see cref="EvalSteps"/>).</summary>
    public int SaveSteps { get; init; } = 50;
    /// <summary><c>save_total_limit</c>: checkpoints kept (the best is always kept on top); null keeps all (default 2; HF: all).</summary>
    public int? SaveTotalLimit { get; init; } = 2;
    /// <summary><c>load_best_model_at_end</c>: the saved model is the best evaluated one (default true; HF: false).</summary>
    public bool LoadBestModelAtEnd { get; init; } = true;
    /// <summary><c>metric_for_best_model</c>: a metric key (<c>macro_f1</c>, <c>accuracy</c>, …) or <c>eval_loss</c> (default macro_f1).</summary>
    public string MetricForBestModel { get; init; } = MetricKeys.MacroF1;
    /// <summary><c>greater_is_better</c> (default: false for losses, true otherwise).</summary>
    public bool GreaterIsBetter { get; init; } = true;
    /// <summary><c>early_stopping_patience</c>: evaluations without improvement before stopping; null = off.</summary>
    public int? EarlyStoppingPatience { get; init; }
    /// <summary><c>early_stopping_threshold</c>: the least change that counts as an improvement (default 0).</summary>
    public double EarlyStoppingThreshold { get; init; }
    /// <summary><c>seed</c>: initialisation, dropout and batch order; null = the run seed.</summary>
    public int? Seed { get; init; }
    /// <summary><c>max_length</c>: tokens per input, special tokens included; null = <see cref="DefaultMaxLength"/> or the model's position limit if smaller.</summary>
    public int? MaxLength { get; init; }

    /// <summary>The <c>max_length</c> used when none is given (short texts such as tweets and utterances fit easily).</summary>
    public const int DefaultMaxLength = 128;
    /// <summary><c>group_by_length</c>: batches of similar length (HF's <c>LengthGroupedSampler</c>) to cut padding.</summary>
    public bool GroupByLength { get; init; }
    /// <summary>
    /// <c>max_tokens_per_batch</c>: a cap on rows × padded length per forward pass; null (the default) = none. Each
    /// batch of <see cref="OptimizationArguments.PerDeviceTrainBatchSize"/> rows is cut, longest rows first, into micro-batches within the cap
    /// (a row longer than the cap goes alone), and their gradients are accumulated into the same optimizer step, so
    /// the effective batch and the schedule do not change — only the activation memory, which is proportional to the
    /// tokens of a forward pass.
    /// </summary>
    public int? MaxTokensPerBatch { get; init; }
    /// <summary>
    /// <c>class_weight</c> (single-label): <c>balanced</c> or a map label → weight; null = unweighted. The weights enter
    /// the training loss and <c>eval_loss</c>, not the metrics' <c>log_loss</c> (see <see cref="EvalLossKey"/>).
    /// </summary>
    public LossWeighting? ClassWeight { get; init; }
    /// <summary>
    /// <c>pos_weight</c> (multi-label): <c>log_scaled</c>, <c>balanced</c>, a map label → weight or a list; null = none.
    /// The weights enter the training loss and <c>eval_loss</c>, not the metrics' <c>log_loss</c> (see <see cref="EvalLossKey"/>).
    /// </summary>
    public LossWeighting? PosWeight { get; init; }
    /// <summary><c>resume_from_checkpoint</c>: a checkpoint folder, or <c>true</c> for the latest one in the run; null = fresh start.</summary>
    public string? ResumeFromCheckpoint { get; init; }

    /// <summary>The token meaning "the latest checkpoint of the run" in <see cref="ResumeFromCheckpoint"/>.</summary>
    public const string LatestCheckpoint = "latest";

    /// <summary>
    /// The name of the evaluation loss in <see cref="MetricForBestModel"/> and log rows. It is the training objective on
    /// the validation split: weighted by <see cref="ClassWeight"/> or <see cref="PosWeight"/> when they are set, unlike
    /// the evaluation metrics' <c>log_loss</c> (<c>eval_log_loss</c>), which is always the unweighted negative
    /// log-likelihood; with weights the two differ on the same predictions.
    /// </summary>
    public const string EvalLossKey = "eval_loss";

    /// <summary>
    /// Reads the <c>transformer:</c> section for a run with (<paramref name="hasValidation"/>) or without a validation
    /// split, which sets the evaluation defaults. Every key is read through <paramref name="r"/>'s getters, so the
    /// "unknown setting" message lists exactly the keys read here. Bad values throw the reader's errors.
    /// </summary>
    internal static TrainingArguments Read(ConfigReader r, bool hasValidation)
    {
        var model = r.String("model") ?? throw r.Error("model", "required: an HF model folder, a Hub id or scratch:<family>-<size>");
        int loggingSteps = Positive(r, "logging_steps", 50);
        var evalStrategy = Strategy(r, "eval_strategy", hasValidation ? "epoch" : "no");
        if (evalStrategy != IntervalStrategy.No && !hasValidation) throw r.Error("eval_strategy", "there is no validation split to evaluate on");
        int evalSteps = Positive(r, "eval_steps", loggingSteps);
        var saveStrategy = Strategy(r, "save_strategy", evalStrategy switch { IntervalStrategy.No => "no", IntervalStrategy.Steps => "steps", _ => "epoch" });
        int saveSteps = Positive(r, "save_steps", evalSteps);
        bool loadBest = r.Bool("load_best_model_at_end", evalStrategy != IntervalStrategy.No);
        if (loadBest && evalStrategy == IntervalStrategy.No) throw r.Error("load_best_model_at_end", "needs an eval_strategy other than 'no'");

        var metricName = r.String("metric_for_best_model", MetricKeys.MacroF1)!;
        string metric;
        if (metricName.Trim().ToLowerInvariant() is "loss" or EvalLossKey) metric = EvalLossKey;
        else
        {
            try { metric = MetricKeys.Normalize(metricName); }
            catch (ArgumentException e) { throw r.Error("metric_for_best_model", e.Message); }
        }
        bool greater = r.Bool("greater_is_better", metric != EvalLossKey && MetricKeys.GreaterIsBetter(metric));

        var args = new TrainingArguments
        {
            Model = model,
            Tokenizer = r.String("tokenizer"),
            LearningRate = NonNegative(r, "learning_rate", 5e-5),
            PerDeviceTrainBatchSize = Positive(r, "per_device_train_batch_size", 8),
            PerDeviceEvalBatchSize = Positive(r, "per_device_eval_batch_size", 8),
            GradientAccumulationSteps = Positive(r, "gradient_accumulation_steps", 1),
            NumTrainEpochs = NonNegative(r, "num_train_epochs", 3),
            MaxSteps = r.Int("max_steps", -1),
            WeightDecay = NonNegative(r, "weight_decay", 0),
            AdamBeta1 = Fraction(r, "adam_beta1", 0.9),
            AdamBeta2 = Fraction(r, "adam_beta2", 0.999),
            AdamEpsilon = NonNegative(r, "adam_epsilon", 1e-8),
            LrSchedulerType = r.Choice("lr_scheduler_type", "linear", "linear", "cosine", "constant", "constant_with_warmup") switch
            {
                "linear" => LearningRateSchedulerType.Linear,
                "cosine" => LearningRateSchedulerType.Cosine,
                "constant" => LearningRateSchedulerType.Constant,
                _ => LearningRateSchedulerType.ConstantWithWarmup,
            },
            WarmupRatio = Fraction(r, "warmup_ratio", 0),
            WarmupSteps = NonNegativeInt(r, "warmup_steps", 0),
            MaxGradNorm = NonNegative(r, "max_grad_norm", 1.0),
            Bf16 = r.Bool("bf16", false),
            EvalStrategy = evalStrategy,
            EvalSteps = evalSteps,
            LoggingSteps = loggingSteps,
            SaveStrategy = saveStrategy,
            SaveSteps = saveSteps,
            // An explicit null keeps every checkpoint; an absent key keeps two.
            SaveTotalLimit = r.Raw.ContainsKey("save_total_limit") && r.Node("save_total_limit") is null ? null : Positive(r, "save_total_limit", 2),
            LoadBestModelAtEnd = loadBest,
            MetricForBestModel = metric,
            GreaterIsBetter = greater,
            EarlyStoppingPatience = OptionalPositive(r, "early_stopping_patience"),
            EarlyStoppingThreshold = NonNegative(r, "early_stopping_threshold", 0),
            Seed = r.NullableInt("seed"),
            MaxLength = OptionalPositive(r, "max_length"),
            GroupByLength = r.Bool("group_by_length", false),
            MaxTokensPerBatch = OptionalPositive(r, "max_tokens_per_batch"),
            ClassWeight = LossWeighting.Read(r, "class_weight", LossWeighting.Balanced),
            PosWeight = LossWeighting.Read(r, "pos_weight", LossWeighting.Balanced, LossWeighting.LogScaled),
            ResumeFromCheckpoint = r.Node("resume_from_checkpoint") switch
            {
                null => null,
                JsonValue v when v.TryGetValue<bool>(out var b) => b ? LatestCheckpoint : null,
                JsonValue v when v.TryGetValue<string>(out var s) && s.Length > 0 => s,
                _ => throw r.Error("resume_from_checkpoint", "expected true, false or a checkpoint folder"),
            },
        };
        if (args.MaxSteps == 0 || (args.MaxSteps < 0 && args.NumTrainEpochs <= 0))
            throw r.Error(args.MaxSteps == 0 ? "max_steps" : "num_train_epochs", "training would take no steps");
        if (loadBest && saveStrategy != IntervalStrategy.No && saveStrategy != evalStrategy)
            throw r.Error("save_strategy", $"must equal eval_strategy ('{evalStrategy.ToString().ToLowerInvariant()}') when load_best_model_at_end is true");
        if (loadBest && saveStrategy == IntervalStrategy.Steps && saveSteps % evalSteps != 0)
            throw r.Error("save_steps", $"must be a multiple of eval_steps ({evalSteps}) when load_best_model_at_end is true");
        if (args.EarlyStoppingPatience is not null && evalStrategy == IntervalStrategy.No)
            throw r.Error("early_stopping_patience", "needs an eval_strategy other than 'no'");
        r.EnsureOnlyKnownKeys();
        return args;
    }

    internal static int? OptionalPositive(ConfigReader r, string key)
    {
        int? v = r.NullableInt(key);
        return v is null or >= 1 ? v : throw r.Error(key, "expected a whole number of at least 1");
    }

    internal static IntervalStrategy Strategy(ConfigReader r, string key, string fallback) => r.Choice(key, fallback, "no", "steps", "epoch") switch
    {
        "no" => IntervalStrategy.No,
        "steps" => IntervalStrategy.Steps,
        _ => IntervalStrategy.Epoch,
    };

    internal static int Positive(ConfigReader r, string key, int fallback)
    {
        int v = r.Int(key, fallback);
        return v >= 1 ? v : throw r.Error(key, "expected a whole number of at least 1");
    }

    internal static int NonNegativeInt(ConfigReader r, string key, int fallback)
    {
        int v = r.Int(key, fallback);
        return v >= 0 ? v : throw r.Error(key, "expected a whole number of at least 0");
    }

    internal static double NonNegative(ConfigReader r, string key, double fallback)
    {
        double v = r.Double(key, fallback);
        return v >= 0 && double.IsFinite(v) ? v : throw r.Error(key, "expected a number of at least 0");
    }

    internal static double Fraction(ConfigReader r, string key, double fallback)
    {
        double v = r.Double(key, fallback);
        return v is >= 0 and < 1 ? v : throw r.Error(key, "expected a number in [0, 1)");
    }
}
