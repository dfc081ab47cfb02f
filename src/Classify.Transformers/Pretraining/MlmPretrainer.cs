using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Randomness;
using Classify.Core.Training;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.SafeTensors;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Models;
using Classify.Transformers.Native;
using Classify.Transformers.Training;
using static TorchSharp.torch;

namespace Classify.Transformers.Pretraining;

/// <summary>The files of a pretraining output folder.</summary>
public sealed class PretrainingOutput
{
    /// <summary>Wraps <paramref name="root"/>.</summary>
    public PretrainingOutput(string root) => Root = Path.GetFullPath(root);

    /// <summary>The folder: the final HF masked-LM model (<c>config.json</c>, <c>model.safetensors</c>, tokenizer files) and the files below.</summary>
    public string Root { get; }
    /// <summary><c>checkpoints/checkpoint-N/</c>: resumable checkpoints, each a loadable MLM folder.</summary>
    public string CheckpointsDirectory => Path.Combine(Root, "checkpoints");
    /// <summary><c>log.jsonl</c>: HF's <c>log_history</c> rows.</summary>
    public string LogJsonl => Path.Combine(Root, "log.jsonl");
    /// <summary><c>metrics.json</c>: the final training and held-out figures.</summary>
    public string MetricsJson => Path.Combine(Root, "metrics.json");
    /// <summary><c>pretrain_config.json</c>: the resolved settings.</summary>
    public string SettingsJson => Path.Combine(Root, "pretrain_config.json");
}

/// <summary>What a pretraining run produced.</summary>
/// <param name="Output">The output folder.</param>
/// <param name="Metrics">The contents of <c>metrics.json</c>.</param>
public sealed record PretrainingResult(PretrainingOutput Output, JsonObject Metrics);

/// <summary>
/// Continued (or from-scratch) masked-language-model pretraining of an encoder, <c>run_mlm.py</c> style, on the fine-tuning
/// trainer's machinery: its step loop (<see cref="TrainingLoop"/>, with masking and the MLM loss plugged in), <see cref="AdamW"/> with HF's decay groups, <see cref="LearningRateSchedule"/>, gradient
/// accumulation and clipping, the seeded <see cref="BatchSampler"/>, <see cref="Checkpoints"/> (each
/// <c>checkpoint-N</c> a loadable <c>*ForMaskedLM</c> folder plus optimizer, scheduler and trainer state), resume,
/// Ctrl+C → checkpoint and stop, and log.jsonl in <c>log_history</c> format. The batches are masked by
/// <see cref="DataCollatorForLanguageModeling"/>; the held-out MLM loss and its perplexity <c>exp(loss)</c> are logged at
/// the evaluation steps and at the end, and written to <c>metrics.json</c>.
/// </summary>
/// <remarks>
/// Determinism: the batch order of an epoch depends on (seed, epoch), the dropout of a step and the masking of a step on
/// (seed, step) alone — each optimizer step builds its own collator whose seed is drawn from (seed,
/// <c>mlm-masking-step-N</c>) — so a run resumed from a checkpoint ends with exactly the weights of the uninterrupted run.
/// Evaluation always masks the held-out examples the same way (purpose <c>mlm-eval</c>), so evaluations compare.
/// The step's loss is the mean cross-entropy over every masked token of its micro-batches (each micro-batch weighs by its
/// share of the step's masked tokens, as transformers' <c>num_items_in_batch</c>).
/// </remarks>
public sealed class MlmPretrainer
{
    /// <summary>Where <c>scratch:</c> models are materialised (null: the user cache).</summary>
    public string? ScratchCacheRoot { get; init; }
    /// <summary>Intra-op threads for torch (default: TorchSharp's choice).</summary>
    public int? Threads { get; init; }
    /// <summary>Notes (loaded weights, skipped texts, evaluations).</summary>
    public Action<string>? Log { get; init; }
    /// <summary>Step progress.</summary>
    public IProgress<ProgressUpdate>? Progress { get; init; }

    /// <summary>True when the config's <c>architectures</c> name a <c>*ForMaskedLM</c> class (a folder with an MLM head).</summary>
    public static bool IsMaskedLM(PretrainedConfig config) =>
        config.Json["architectures"] is not null && config.Architectures.Any(a => a.EndsWith("ForMaskedLM", StringComparison.Ordinal));

    /// <summary>
    /// Runs the pretraining into <paramref name="outputDirectory"/>, which must not exist or be empty unless
    /// <paramref name="resume"/> continues from its latest checkpoint. Everything that can be checked (settings, model,
    /// tokenizer, corpus) is checked before the folder is written.
    /// </summary>
    /// <exception cref="InputException">Bad input; nothing is written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; a checkpoint of the last completed step is left for <paramref name="resume"/>.</exception>
    public PretrainingResult Run(PretrainingArguments args, string outputDirectory, bool resume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(outputDirectory);
        var output = new PretrainingOutput(outputDirectory);
        var checkpoints = new Checkpoints(output.CheckpointsDirectory);
        string? resumeFrom = null;
        if (resume)
        {
            checkpoints.RemoveStaleTemporaries();
            resumeFrom = checkpoints.Latest() ?? throw new InputException(
                "--resume: the output folder has no checkpoint to resume from", output.CheckpointsDirectory, field: "--resume");
        }
        else if (Directory.Exists(output.Root) && Directory.EnumerateFileSystemEntries(output.Root).Any())
            throw new InputException("the output folder is not empty; choose a new folder, or pass --resume to continue its run", output.Root, field: "-o");

        if (args.Bf16 && Bf16Support.Unsupported() is { } why) throw args.Error("pretrain.bf16", why);
        TorchRuntime.EnsureInitialized(Threads);
        int seed = args.Seed;
        string directory;
        string tokenizerDirectory;
        if (resumeFrom is not null)
        {
            // The checkpoint is the model: it must be an MLM folder.
            var config = PretrainedConfig.Load(resumeFrom);
            if (!IsMaskedLM(config))
                throw new InputException($"not a masked-LM checkpoint: its architectures are [{string.Join(", ", config.Json["architectures"] is null ? [] : config.Architectures)}], " +
                                         "without an MLM head there is no pretraining to resume", Path.Combine(resumeFrom, PretrainedConfig.FileName), field: "architectures");
            directory = resumeFrom;
            tokenizerDirectory = resumeFrom;
        }
        else
        {
            directory = ModelLoader.ResolveFolder(args.Model, seed, ScratchCacheRoot, Progress, cancellationToken);
            tokenizerDirectory = args.Tokenizer is null ? directory : Path.GetFullPath(args.Tokenizer);
        }

        var tokenizer = AutoTokenizer.FromPretrained(tokenizerDirectory);
        random.manual_seed(seed);
        var model = AutoModelForMaskedLM.FromPretrained(directory, out var report, mode: resumeFrom is null ? WeightLoadMode.NewHead : WeightLoadMode.Strict);
        try
        {
            ClassifierFolder.CheckVocabulary(model.Config, tokenizer, tokenizerDirectory);
            if (tokenizer.Count > model.VocabSize)
                throw new InputException($"the tokenizer has {tokenizer.Count:N0} tokens but the model's vocab_size is {model.VocabSize:N0}",
                    tokenizerDirectory, field: "vocab_size");
            if (resumeFrom is null) Announce(report, directory, model.GetType().Name);
            MaskingVocabulary vocabulary;
            try { vocabulary = MaskingVocabulary.FromTokenizer(tokenizer); }
            catch (ArgumentException e) { throw new InputException(e.Message.Split(" (Parameter")[0], tokenizerDirectory, field: "mask_token"); }

            int positionLimit = ClassifierFolder.PositionLimit(model.Config);
            if (args.MaxLength > positionLimit)
                throw args.Error("pretrain.max_length", $"{args.MaxLength} exceeds the {positionLimit} positions the model can embed");
            int maxLength = args.MaxLength ?? Math.Min(PretrainingArguments.DefaultMaxLength, positionLimit);

            var corpus = MlmCorpus.Build(tokenizer, args, maxLength, cancellationToken);
            Log?.Invoke($"corpus: {corpus.TextsRead:N0} texts ({corpus.TextsSkipped:N0} skipped), {corpus.Tokens:N0} tokens → " +
                        $"{corpus.Train.Count:N0} training and {corpus.Validation.Count:N0} held-out examples of at most {maxLength} tokens" +
                        (args.LineByLine ? " (line by line)" : " (grouped)"));
            if (args.EvalStrategy != IntervalStrategy.No && corpus.Validation.Count == 0)
                throw args.Error("pretrain.validation_fraction", "the corpus is too small to hold out any example (need at least 2)");

            Directory.CreateDirectory(output.Root);
            if (resumeFrom is null) AtomicFile.WriteJson(output.SettingsJson, args.ToJson());
            var session = new Session(this, args, seed, model, tokenizer, vocabulary, corpus, maxLength, output, checkpoints, resumeFrom, cancellationToken);
            var metrics = session.Run();
            return new PretrainingResult(output, metrics);
        }
        finally
        {
            model.Dispose();
        }
    }

    private void Announce(WeightLoadReport report, string directory, string name)
    {
        if (Log is null) return;
        if (report.MissingKeys.Count > 0)
            Log($"Some weights of {name} were not initialized from the model checkpoint at {directory} and are newly initialized: " +
                ParameterPlan.ListNames(report.MissingKeys));
        if (report.MismatchedKeys.Count > 0)
            Log($"Some weights of {name} were not initialized from the model checkpoint at {directory} and are newly initialized " +
                $"because the shapes did not match: {ParameterPlan.ListNames(report.MismatchedKeys)}");
    }

    /// <summary>The masking seed of optimizer step <paramref name="step"/>: masking depends on (seed, step) alone.</summary>
    internal static ulong MaskingSeed(int seed, int step) =>
        SeededRandom.ForPurpose((ulong)(uint)seed, $"mlm-masking-step-{step}").NextUInt64();

    /// <summary>The masking seed of every evaluation.</summary>
    internal static ulong EvalMaskingSeed(int seed) => SeededRandom.ForPurpose((ulong)(uint)seed, "mlm-eval").NextUInt64();

    private sealed class Session
    {
        private readonly MlmPretrainer _owner;
        private readonly PretrainingArguments _args;
        private readonly int _seed;
        private readonly MaskedLMModel _model;
        private readonly PreTrainedTokenizer _tokenizer;
        private readonly MaskingVocabulary _vocabulary;
        private readonly MlmCorpus _corpus;
        private readonly int _maxLength;
        private readonly PretrainingOutput _output;
        private readonly Checkpoints _checkpoints;
        private readonly string? _resumeFrom;
        private readonly CancellationToken _ct;
        private readonly TrainerState _state = new();
        private (int Step, double Loss, long Tokens)? _lastEval;

        public Session(MlmPretrainer owner, PretrainingArguments args, int seed, MaskedLMModel model, PreTrainedTokenizer tokenizer,
            MaskingVocabulary vocabulary, MlmCorpus corpus, int maxLength, PretrainingOutput output, Checkpoints checkpoints, string? resumeFrom,
            CancellationToken ct)
        {
            _owner = owner;
            _args = args;
            _seed = seed;
            _model = model;
            _tokenizer = tokenizer;
            _vocabulary = vocabulary;
            _corpus = corpus;
            _maxLength = maxLength;
            _output = output;
            _checkpoints = checkpoints;
            _resumeFrom = resumeFrom;
            _ct = ct;
        }

        private MaskingOptions Masking(ulong seed) => new()
        {
            MlmProbability = _args.MlmProbability, WholeWordMask = _args.WholeWordMasking, PadToMultipleOf = _args.PadToMultipleOf, Seed = seed,
        };

        public JsonObject Run()
        {
            var train = _corpus.Train;
            var lengths = train.Select(e => e.Length).ToArray();
            var sampler = new BatchSampler(lengths, _args.PerDeviceTrainBatchSize, groupByLength: false, _seed);
            var plan = TrainingPlan.For(_args, sampler, _state);
            using var optimizer = AdamW.For(_model, _args);
            _state.MetricForBestModel = TrainingArguments.EvalLossKey;
            if (_resumeFrom is not null) Resume(optimizer);
            else WriteLog();
            // bf16: the passes run on a bfloat16 copy; _model stays the float32 master that is evaluated and saved.
            using var bf16 = _args.Bf16 ? new Bf16WorkingCopy(_model, AutoModelForMaskedLM.Create(_model.Config)) : null;
            var forwardModel = (MaskedLMModel?)bf16?.Working ?? _model;

            var clock = Stopwatch.StartNew();
            string? lastSaved = _resumeFrom;
            _model.train();
            forwardModel.train();
            Report(_state.GlobalStep, plan.TotalSteps, double.NaN, plan.LearningRateAt(_state.GlobalStep));

            var loop = new TrainingLoop
            {
                Plan = plan, Seed = _seed, LoggingSteps = _args.LoggingSteps,
                Optimizer = optimizer, Bf16 = bf16, State = _state, Cancellation = _ct,
                OnCancel = () => Cancel(optimizer, plan.Schedule, ref lastSaved),
                Log = Log,
                Report = (step, stepLoss, nextLr) => Report(step, plan.TotalSteps, stepLoss, nextLr),
                ForwardBackward = micro =>
                {
                    // Masked first (the step's own collator), so each micro-batch can weigh by its share of the step's masked tokens.
                    var collator = new DataCollatorForLanguageModeling(_vocabulary, Masking(MaskingSeed(_seed, _state.GlobalStep)));
                    var masked = micro.Select(b => collator.Collate(b.Select(i => (IReadOnlyList<int>)train[i]).ToList())).ToArray();
                    long stepTokens = masked.Sum(Labelled);
                    double stepLoss = 0;
                    foreach (var batch in masked)
                    {
                        if (_ct.IsCancellationRequested) Cancel(optimizer, plan.Schedule, ref lastSaved);
                        long tokens = Labelled(batch);
                        if (tokens == 0) continue;
                        using var scope = NewDisposeScope();
                        var (ids, mask, labels) = batch.ToTensors();
                        // The bf16 working copy when bf16 is on (MaskedLoss takes the cross-entropy on float32 logits).
                        using var loss = forwardModel.MaskedLoss(ids, mask, null, labels);
                        var scaled = loss * ((double)tokens / stepTokens);
                        scaled.backward();
                        stepLoss += scaled.item<float>();
                    }
                    return stepLoss;
                },
                AfterStep = epochEnd =>
                {
                    bool evaluate = _args.EvalStrategy == IntervalStrategy.Steps ? _state.GlobalStep % _args.EvalSteps == 0
                        : _args.EvalStrategy == IntervalStrategy.Epoch && epochEnd;
                    if (evaluate) Evaluate();
                    bool save = _args.SaveStrategy == IntervalStrategy.Steps ? _state.GlobalStep % _args.SaveSteps == 0
                        : _args.SaveStrategy == IntervalStrategy.Epoch && epochEnd;
                    if (save) lastSaved = Save(optimizer, plan.Schedule);
                },
            };
            var (totalLoss, stepsRun) = loop.Run();

            // The held-out loss at the end, whatever the strategy.
            if (_corpus.Validation.Count > 0 && _lastEval?.Step != _state.GlobalStep) Evaluate();
            double seconds = clock.Elapsed.TotalSeconds;
            double? trainLoss = stepsRun > 0 ? totalLoss / stepsRun : null;
            Log(new JsonObject
            {
                ["train_runtime"] = Round(seconds),
                ["train_samples_per_second"] = Round(stepsRun * _args.PerDeviceTrainBatchSize * plan.Accumulation / Math.Max(seconds, 1e-9)),
                ["train_steps_per_second"] = Round(stepsRun / Math.Max(seconds, 1e-9)),
                ["train_loss"] = trainLoss,
                ["epoch"] = Round(_state.Epoch), ["step"] = _state.GlobalStep,
            });
            _model.eval();
            SaveFinal();

            var metrics = new JsonObject
            {
                ["model"] = _args.Model,
                ["architecture"] = _model.GetType().Name,
                ["global_step"] = _state.GlobalStep,
                ["max_steps"] = plan.TotalSteps,
                ["epoch"] = Round(_state.Epoch),
                ["train_loss"] = trainLoss,
                ["train_runtime"] = Round(seconds),
                ["train_samples"] = _corpus.Train.Count,
                ["eval_samples"] = _corpus.Validation.Count,
                ["eval_loss"] = _lastEval is { } e ? e.Loss : null,
                ["perplexity"] = _lastEval is { } p ? Math.Exp(p.Loss) : null,
                ["eval_masked_tokens"] = _lastEval?.Tokens,
                ["texts_read"] = _corpus.TextsRead,
                ["texts_skipped"] = _corpus.TextsSkipped,
                ["tokens"] = _corpus.Tokens,
                ["max_length"] = _maxLength,
                ["line_by_line"] = _args.LineByLine,
                ["mlm_probability"] = _args.MlmProbability,
                ["whole_word_masking"] = _args.WholeWordMasking,
                ["seed"] = _seed,
            };
            AtomicFile.WriteJson(_output.MetricsJson, metrics);
            return metrics;
        }

        private static long Labelled(MaskedBatch batch) => batch.Labels.LongCount(l => l != MaskedLMModel.IgnoreIndex);

        // The held-out MLM loss: cross-entropy over every masked token of the validation examples (masked the same way
        // at every evaluation), and its perplexity.
        private void Evaluate()
        {
            var validation = _corpus.Validation;
            var collator = new DataCollatorForLanguageModeling(_vocabulary, Masking(EvalMaskingSeed(_seed)));
            double sum = 0;
            long tokens = 0;
            _model.eval();
            using (no_grad())
            {
                foreach (var chunk in validation.Chunk(_args.PerDeviceEvalBatchSize))
                {
                    // Ctrl+C abandons the evaluation (no row); the step's checkpoint is still written before stopping.
                    if (_ct.IsCancellationRequested)
                    {
                        _model.train();
                        return;
                    }
                    var batch = collator.Collate(chunk.Select(e => (IReadOnlyList<int>)e).ToList());
                    long n = Labelled(batch);
                    if (n == 0) continue;
                    using var scope = NewDisposeScope();
                    var (ids, mask, labels) = batch.ToTensors();
                    using var batchLoss = _model.MaskedLoss(ids, mask, null, labels);
                    sum += batchLoss.item<float>() * (double)n;
                    tokens += n;
                }
            }
            _model.train();
            if (tokens == 0) return;
            double loss = sum / tokens;
            _lastEval = (_state.GlobalStep, loss, tokens);
            Log(new JsonObject
            {
                ["eval_loss"] = loss, ["eval_perplexity"] = Math.Exp(loss), ["eval_masked_tokens"] = tokens,
                ["epoch"] = Round(_state.Epoch), ["step"] = _state.GlobalStep,
            });
            _owner.Log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"step {_state.GlobalStep}: held-out MLM loss {loss:0.0000}, perplexity {Math.Exp(loss):0.00}"));
        }

        private JsonObject RngNote() => new()
        {
            ["mlm_masking"] = "SeededRandom.ForPurpose(seed, \"mlm-masking-step-<step>\") seeds each step's collator",
            ["mlm_masking_seed_next_step"] = MaskingSeed(_seed, _state.GlobalStep).ToString(CultureInfo.InvariantCulture),
        };

        private string Save(AdamW optimizer, LearningRateSchedule schedule)
        {
            var path = _checkpoints.Save(_model, _tokenizer, null, optimizer, schedule, _args.LearningRate, _seed, _state, RngNote());
            _checkpoints.Rotate(_args.SaveTotalLimit, null);
            return path;
        }

        // The final model: config.json, model.safetensors (tied decoder weight not stored) and the tokenizer files in the
        // output folder itself, each file replaced atomically.
        private void SaveFinal()
        {
            var staging = Path.Combine(_output.Root, $".final.{Guid.NewGuid():N}.tmp");
            try
            {
                _model.SavePretrained(staging);
                _tokenizer.SaveTokenizerFiles(staging);
                foreach (var file in Directory.GetFiles(staging))
                    File.Move(file, Path.Combine(_output.Root, Path.GetFileName(file)), overwrite: true);
            }
            finally
            {
                if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            }
        }

        // Ctrl+C: leave a resumable checkpoint at the last completed step, then stop.
        private void Cancel(AdamW optimizer, LearningRateSchedule schedule, ref string? lastSaved)
        {
            var path = _checkpoints.PathOf(_state.GlobalStep);
            if (!string.Equals(lastSaved, path, StringComparison.Ordinal) && _state.GlobalStep > 0)
            {
                optimizer.ZeroGrad();
                lastSaved = Save(optimizer, schedule);
            }
            throw new OperationCanceledException(
                _state.GlobalStep > 0 ? $"Pretraining cancelled at step {_state.GlobalStep}; continue with --resume." : "Pretraining cancelled before the first step.", _ct);
        }

        private void Resume(AdamW optimizer)
        {
            var path = _resumeFrom!;
            var saved = Checkpoints.Load(path, _model, optimizer);
            if (saved.MaxSteps != _state.MaxSteps)
                throw new InputException($"the checkpoint belongs to a run of {saved.MaxSteps} steps, this one has {_state.MaxSteps}; the settings or the corpus changed",
                    path, field: "--resume");
            _state.GlobalStep = saved.GlobalStep;
            _state.Epoch = saved.Epoch;
            _state.LogHistory = saved.LogHistory;
            var lastEval = _state.LogHistory.LastOrDefault(r => r["eval_loss"] is not null);
            if (lastEval is not null && lastEval["step"]?.GetValue<int>() == _state.GlobalStep)
                _lastEval = (_state.GlobalStep, lastEval["eval_loss"]!.GetValue<double>(), lastEval["eval_masked_tokens"]?.GetValue<long>() ?? 0);
            WriteLog();
            _owner.Log?.Invoke($"resuming from {path} (step {_state.GlobalStep} of {_state.MaxSteps})");
        }

        private void Log(JsonObject row)
        {
            _state.LogHistory.Add(row);
            WriteLog();
        }

        private void WriteLog() => AtomicFile.WriteText(_output.LogJsonl, w =>
        {
            foreach (var row in _state.LogHistory) w.Write(row.ToJsonString() + "\n");
        });

        private void Report(int step, int total, double loss, double lr) =>
            _owner.Progress?.Report(new ProgressUpdate("pretraining", step, total, string.Create(CultureInfo.InvariantCulture,
                $"loss {(double.IsNaN(loss) ? "-" : loss.ToString("0.000", CultureInfo.InvariantCulture))} lr {lr:0.0e+00} epoch {_state.Epoch:0.00}")));

        private static double Round(double value) => Math.Round(value, 4);
    }
}
