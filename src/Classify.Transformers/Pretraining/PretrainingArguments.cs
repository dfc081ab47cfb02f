using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Transformers.Training;

namespace Classify.Transformers.Pretraining;

/// <summary>
/// The settings of a masked-language-model pretraining run (<c>classify pretrain</c>): the <c>data:</c> keys that say
/// where the texts are, and the <c>pretrain:</c> section, whose keys are Hugging Face <c>TrainingArguments</c> and
/// <c>run_mlm.py</c> names. Read and validated by <see cref="Read"/> before anything is written.
/// </summary>
public sealed record PretrainingArguments : OptimizationArguments
{
    /// <summary><c>data.path</c>: a CSV, TSV or JSON Lines file (read through the record reader) or a <c>.txt</c> file, one text per line.</summary>
    public required string DataPath { get; init; }
    /// <summary><c>data.text_col</c>: the text column of a CSV/TSV/JSONL file (default <c>text</c>; ignored for <c>.txt</c>).</summary>
    public string TextColumn { get; init; } = "text";
    /// <summary><c>data.format</c>: csv, tsv, jsonl or txt; null = from the extension.</summary>
    public string? Format { get; init; }
    /// <summary><c>data.max_texts</c>: read only the first N texts of the file (null: all).</summary>
    public int? MaxTexts { get; init; }

    /// <summary><c>logging_steps</c> (default 50).</summary>
    public int LoggingSteps { get; init; } = 50;
    /// <summary><c>eval_strategy</c>: held-out MLM loss every <see cref="EvalSteps"/> steps, every epoch, or only at the end (<c>no</c>). Default <c>steps</c> with a validation fraction, else <c>no</c>.</summary>
    public IntervalStrategy EvalStrategy { get; init; } = IntervalStrategy.Steps;
    /// <summary><c>eval_steps</c> (default <see cref="LoggingSteps"/>).</summary>
    public int EvalSteps { get; init; } = 50;
    /// <summary><c>save_strategy</c> (default <c>steps</c>).</summary>
    public IntervalStrategy SaveStrategy { get; init; } = IntervalStrategy.Steps;
    /// <summary><c>save_steps</c> (default 500, HF's).</summary>
    public int SaveSteps { get; init; } = 500;
    /// <summary><c>save_total_limit</c>: checkpoints kept (default 2; null keeps all).</summary>
    public int? SaveTotalLimit { get; init; } = 2;
    /// <summary><c>seed</c>: initialisation, dropout, batch order, masking and the validation split.</summary>
    public int Seed { get; init; } = 42;
    /// <summary><c>max_length</c>: tokens per example, special tokens included (the block size with <c>group_texts</c>); null = 128 or the model's position limit if smaller.</summary>
    public int? MaxLength { get; init; }
    /// <summary><c>mlm_probability</c> (default 0.15; strictly between 0 and 1).</summary>
    public double MlmProbability { get; init; } = 0.15;
    /// <summary><c>whole_word_masking</c> (default false).</summary>
    public bool WholeWordMasking { get; init; }
    /// <summary><c>line_by_line</c>: one example per text (true) or <c>group_texts</c> blocks of <see cref="MaxLength"/> (false, the default, as run_mlm.py).</summary>
    public bool LineByLine { get; init; }
    /// <summary><c>validation_fraction</c>: share of the examples held out for the MLM loss and perplexity (default 0.05; 0 = none).</summary>
    public double ValidationFraction { get; init; } = 0.05;
    /// <summary><c>pad_to_multiple_of</c>: rounds each batch's padded length up (null: longest row).</summary>
    public int? PadToMultipleOf { get; init; }

    /// <summary>The default <c>max_length</c>.</summary>
    public const int DefaultMaxLength = 128;

    /// <summary>
    /// Reads <c>seed</c>, <c>data:</c> (<c>path</c>, <c>text_col</c>, <c>format</c>, <c>max_texts</c>; the other keys of an
    /// experiment's <c>data:</c> section are allowed and ignored, so one file can hold both) and <c>pretrain:</c> from the
    /// root of a config. Unknown <c>pretrain:</c> keys and bad values throw <see cref="InputException"/>s naming the
    /// file, line and key.
    /// </summary>
    public static PretrainingArguments Read(ConfigReader root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var data = root.Section("data");
        var path = data.String("path") ?? throw data.Error("path", "required: the corpus (.txt, .csv, .tsv or .jsonl)");
        var textColumn = data.String("text_col", "text")!;
        string? format = data.Node("format") is null ? null : data.Choice("format", "csv", "csv", "tsv", "jsonl", "txt");
        int? maxTexts = TrainingArguments.OptionalPositive(data, "max_texts");
        data.EnsureOnlyKnownKeys("has_header", "label_col", "label_cols", "id_col", "id_cols", "filter", "derive_label", "label_map",
            "group_col", "split_col", "order_col", "speaker_col", "multilabel", "label_delimiter", "labels_file", "labels",
            "drop_duplicates", "sample", "oversample");

        int runSeed = root.Int("seed", 42);
        var r = root.Section("pretrain");
        if (r.Raw.Count == 0 && !root.Has("pretrain")) throw root.Error("pretrain", "required: the pretrain: section (at least pretrain.model)");
        var model = r.String("model") ?? throw r.Error("model", "required: an HF model folder, a Hub id or scratch:<family>-<size>");
        double validation = r.Double("validation_fraction", 0.05);
        if (!(validation >= 0 && validation < 1)) throw r.Error("validation_fraction", "expected a number in [0, 1)");
        int loggingSteps = TrainingArguments.Positive(r, "logging_steps", 50);
        var evalStrategy = TrainingArguments.Strategy(r, "eval_strategy", validation > 0 ? "steps" : "no");
        if (evalStrategy != IntervalStrategy.No && validation == 0) throw r.Error("eval_strategy", "validation_fraction is 0: there is nothing to evaluate on");
        double mlm = r.Double("mlm_probability", 0.15);
        if (!(mlm > 0 && mlm < 1)) throw r.Error("mlm_probability", "must lie strictly between 0 and 1");

        var args = new PretrainingArguments
        {
            DataPath = path,
            TextColumn = textColumn,
            Format = format,
            MaxTexts = maxTexts,
            Model = model,
            Tokenizer = r.String("tokenizer"),
            LearningRate = TrainingArguments.NonNegative(r, "learning_rate", 5e-5),
            PerDeviceTrainBatchSize = TrainingArguments.Positive(r, "per_device_train_batch_size", 8),
            PerDeviceEvalBatchSize = TrainingArguments.Positive(r, "per_device_eval_batch_size", 8),
            GradientAccumulationSteps = TrainingArguments.Positive(r, "gradient_accumulation_steps", 1),
            NumTrainEpochs = TrainingArguments.NonNegative(r, "num_train_epochs", 3),
            MaxSteps = r.Int("max_steps", -1),
            WeightDecay = TrainingArguments.NonNegative(r, "weight_decay", 0),
            AdamBeta1 = TrainingArguments.Fraction(r, "adam_beta1", 0.9),
            AdamBeta2 = TrainingArguments.Fraction(r, "adam_beta2", 0.999),
            AdamEpsilon = TrainingArguments.NonNegative(r, "adam_epsilon", 1e-8),
            LrSchedulerType = r.Choice("lr_scheduler_type", "linear", "linear", "cosine", "constant", "constant_with_warmup") switch
            {
                "linear" => LearningRateSchedulerType.Linear,
                "cosine" => LearningRateSchedulerType.Cosine,
                "constant" => LearningRateSchedulerType.Constant,
                _ => LearningRateSchedulerType.ConstantWithWarmup,
            },
            WarmupRatio = TrainingArguments.Fraction(r, "warmup_ratio", 0),
            WarmupSteps = TrainingArguments.NonNegativeInt(r, "warmup_steps", 0),
            MaxGradNorm = TrainingArguments.NonNegative(r, "max_grad_norm", 1.0),
            Bf16 = r.Bool("bf16", false),
            LoggingSteps = loggingSteps,
            EvalStrategy = evalStrategy,
            EvalSteps = TrainingArguments.Positive(r, "eval_steps", loggingSteps),
            SaveStrategy = TrainingArguments.Strategy(r, "save_strategy", "steps"),
            SaveSteps = TrainingArguments.Positive(r, "save_steps", 500),
            SaveTotalLimit = r.Raw.ContainsKey("save_total_limit") && r.Node("save_total_limit") is null ? null : TrainingArguments.Positive(r, "save_total_limit", 2),
            Seed = r.Int("seed", runSeed),
            MaxLength = TrainingArguments.OptionalPositive(r, "max_length"),
            MlmProbability = mlm,
            WholeWordMasking = r.Bool("whole_word_masking", false),
            LineByLine = r.Bool("line_by_line", false),
            ValidationFraction = validation,
            PadToMultipleOf = TrainingArguments.OptionalPositive(r, "pad_to_multiple_of"),
        };
        if (args.MaxLength is < 2) throw r.Error("max_length", "expected at least 2 (room for the special tokens)");
        if (args.MaxSteps == 0 || (args.MaxSteps < 0 && args.NumTrainEpochs <= 0))
            throw r.Error(args.MaxSteps == 0 ? "max_steps" : "num_train_epochs", "training would take no steps");
        r.EnsureOnlyKnownKeys();
        return args with { ErrorSource = root };
    }

    private ConfigReader? ErrorSource { get; init; }

    /// <summary>An error about a dotted key (<c>pretrain.max_length</c>, <c>data.text_col</c>), naming the file and line when the settings came from one.</summary>
    public InputException Error(string key, string reason) =>
        ErrorSource?.Error(key, reason) ?? new InputException(reason, field: key);

    /// <summary>The settings as a JSON object with their config names (written to <c>pretrain_config.json</c>).</summary>
    public JsonObject ToJson() => new()
    {
        ["data"] = new JsonObject { ["path"] = DataPath, ["text_col"] = TextColumn, ["format"] = Format, ["max_texts"] = MaxTexts },
        ["pretrain"] = new JsonObject
        {
            ["model"] = Model, ["tokenizer"] = Tokenizer, ["learning_rate"] = LearningRate,
            ["per_device_train_batch_size"] = PerDeviceTrainBatchSize, ["per_device_eval_batch_size"] = PerDeviceEvalBatchSize,
            ["gradient_accumulation_steps"] = GradientAccumulationSteps, ["num_train_epochs"] = NumTrainEpochs, ["max_steps"] = MaxSteps,
            ["weight_decay"] = WeightDecay, ["adam_beta1"] = AdamBeta1, ["adam_beta2"] = AdamBeta2, ["adam_epsilon"] = AdamEpsilon,
            ["lr_scheduler_type"] = LrSchedulerType switch
            {
                LearningRateSchedulerType.Linear => "linear",
                LearningRateSchedulerType.Cosine => "cosine",
                LearningRateSchedulerType.Constant => "constant",
                _ => "constant_with_warmup",
            },
            ["warmup_ratio"] = WarmupRatio, ["warmup_steps"] = WarmupSteps, ["max_grad_norm"] = MaxGradNorm, ["bf16"] = Bf16,
            ["logging_steps"] = LoggingSteps, ["eval_strategy"] = EvalStrategy.ToString().ToLowerInvariant(), ["eval_steps"] = EvalSteps,
            ["save_strategy"] = SaveStrategy.ToString().ToLowerInvariant(), ["save_steps"] = SaveSteps, ["save_total_limit"] = SaveTotalLimit,
            ["seed"] = Seed, ["max_length"] = MaxLength, ["mlm_probability"] = MlmProbability, ["whole_word_masking"] = WholeWordMasking,
            ["line_by_line"] = LineByLine, ["validation_fraction"] = ValidationFraction, ["pad_to_multiple_of"] = PadToMultipleOf,
        },
    };
}
