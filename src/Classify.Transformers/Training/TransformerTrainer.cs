using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Core.Training;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.SafeTensors;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Engine;
using Classify.Transformers.Models;
using Classify.Transformers.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>
/// Fine-tunes a transformer classifier, the Hugging Face <c>Trainer</c> way: AdamW with HF's weight-decay grouping,
/// a warmup/decay schedule, gradient accumulation and clipping, periodic evaluation on the validation split with
/// early stopping and best-model selection, resumable checkpoints (each a loadable model), and log.jsonl in
/// <c>log_history</c> format. Options are the <c>transformer:</c> section (<see cref="TransformerOptions"/>,
/// <see cref="TrainingArguments"/>). The result is the best model, held in memory until the experiment saves it as an
/// HF folder (<c>config.json</c> with <c>id2label</c>, <c>model.safetensors</c>, tokenizer files) plus
/// <c>classify.json</c>.
/// </summary>
/// <remarks>
/// <para>After every evaluation the <see cref="TrainingRequest.Callbacks"/> hear it
/// (<see cref="TrainerControl.Notify"/>, metrics keyed <c>eval_loss</c>, <c>macro_f1</c> …); when one asks to stop, or
/// <c>early_stopping_patience</c> runs out, training ends after that step's checkpoint and the best model so far is
/// kept. Either is announced through <see cref="TrainingRequest.Log"/>, an <c>{"event": "early_stopping"}</c> row of
/// log.jsonl and <see cref="TrainingOutcome.Summary"/> (run.json's <c>training</c>).</para>
/// <para>With <c>class_weight</c> or <c>pos_weight</c>, <c>eval_loss</c> is the weighted training objective, while the
/// evaluation metrics' <c>log_loss</c> is the unweighted negative log-likelihood (see <see cref="TrainingLoss"/>).</para>
/// <para>Determinism: the batch order of each epoch depends only on (seed, epoch) and the dropout masks of each optimizer
/// step only on (seed, step), because torch's global generator is re-seeded at every step. A run resumed from a
/// checkpoint therefore continues with exactly the losses of the uninterrupted run. Dropout uses torch's global
/// generator, so two trainings must not run concurrently in one process if they are to be reproducible.</para>
/// </remarks>
public sealed class TransformerTrainer : ClassifierTrainer<TransformerOptions>
{
    /// <inheritdoc />
    public override string Engine => TransformerPredictor.EngineName;

    /// <summary>
    /// Where <c>scratch:</c> models are materialised; null (the default) resolves them through the registered scratch
    /// source like any other spec (<see cref="ModelSources"/>, user cache <see cref="ScratchModels.DefaultCacheRoot"/>).
    /// </summary>
    public string? ScratchCacheRoot { get; init; }

    /// <summary>Intra-op threads for torch (default: TorchSharp's choice).</summary>
    public int? Threads { get; init; }

    /// <summary>The training-loss rows and evaluation rows of the last run (HF's <c>log_history</c>).</summary>
    public IReadOnlyList<JsonObject> LogHistory { get; private set; } = [];

    /// <summary>The torch seed of optimizer step <paramref name="step"/> (0-based): dropout masks depend on it alone.</summary>
    internal static long StepSeed(int seed, int step) =>
        (long)(Classify.Core.Randomness.SeededRandom.ForPurpose((ulong)(uint)seed, $"dropout-step-{step}").NextUInt64() >> 1);

    /// <inheritdoc />
    public override TransformerOptions ParseOptions(ConfigReader section, LabelSchema schema) => TransformerOptions.Parse(section, schema);

    /// <inheritdoc />
    public override TrainingOutcome Train(TrainingRequest request, TransformerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        var args = options.For(request.Validation.Count > 0);
        if (request.Train.Count == 0) throw new InputException("the training split is empty");
        int seed = args.Seed ?? request.Seed;
        if (args.Bf16 && Bf16Support.Unsupported() is { } why) throw options.Error("bf16", why);

        TorchRuntime.EnsureInitialized(Threads);
        var directory = ModelLoader.ResolveFolder(args.Model, seed, ScratchCacheRoot, request.Progress, cancellationToken);
        var start = ModelLoader.Load(directory, args.Tokenizer, request.Schema, seed, request.Log);
        var model = start.Model;
        try
        {
            if (args.MaxLength > start.PositionLimit)
                throw options.Error("max_length", $"{args.MaxLength} exceeds the {start.PositionLimit} positions the model can embed");
            int maxLength = args.MaxLength ?? DefaultMaxLength(request, start, model);
            var manifest = request.Manifest with
            {
                Engine = Engine,
                EngineOptions = new JsonObject { ["max_length"] = maxLength, ["family"] = model.Config.ModelType },
            };
            // A package trained with bf16 predicts in bf16 too where the CPU allows (TransformerPredictorOptions.Bf16).
            if (args.Bf16) manifest.EngineOptions!["bf16"] = true;
            var inputs = new ClassifierInputs(start.Tokenizer, model.Config, maxLength, request.Manifest.Context);
            var session = new Session(this, request, args, seed, model, inputs, manifest, cancellationToken);
            var (best, summary) = session.Run();
            return new TrainingOutcome(new TrainedTransformer(model, inputs, manifest), best, [], summary);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>max_length</c> when the config gives none: without conversation context, <see cref="MaxLengthRule"/> over the
    /// training texts' token counts (special tokens included); with context, whose second segment fills whatever room
    /// there is, <see cref="TrainingArguments.DefaultMaxLength"/> (capped at the model's position limit) as before.
    /// </summary>
    private static int DefaultMaxLength(TrainingRequest request, StartingModel start, SequenceClassificationModel model)
    {
        if (request.Manifest.Context is { Turns: > 0 }) return Math.Min(TrainingArguments.DefaultMaxLength, start.PositionLimit);
        var probe = new ClassifierInputs(start.Tokenizer, model.Config, start.PositionLimit, request.Manifest.Context);
        var counts = MaxLengthRule.SampleIndices(request.Train.Count).Select(i => probe.Encoder.Encode(request.Train[i].Text, request.Train[i].Context).Length).ToArray();
        int chosen = MaxLengthRule.Choose(counts, start.PositionLimit);
        request.Log?.Invoke($"max_length {chosen}: the {MaxLengthRule.Percentile:0}th percentile of {counts.Length:N0} training texts' token counts " +
                            $"rounded up to a multiple of {MaxLengthRule.Multiple} (at least {MaxLengthRule.Minimum}, at most {Math.Min(MaxLengthRule.Ceiling, start.PositionLimit)}); " +
                            "set transformer.max_length to choose");
        return chosen;
    }

    /// <summary>The state of one training run.</summary>
    private sealed class Session
    {
        private readonly TransformerTrainer _owner;
        private readonly TrainingRequest _request;
        private readonly TrainingArguments _args;
        private readonly int _seed;
        private readonly SequenceClassificationModel _model;
        private readonly ClassifierInputs _inputs;
        private readonly ModelManifest _manifest;
        private readonly TransformerPredictor _evaluator;
        private readonly CancellationToken _ct;
        private readonly Checkpoints _checkpoints;
        private readonly TrainerState _state = new();
        private Dictionary<string, Tensor>? _bestWeights;
        private string? _stopReason;

        public Session(TransformerTrainer owner, TrainingRequest request, TrainingArguments args, int seed, SequenceClassificationModel model,
            ClassifierInputs inputs, ModelManifest manifest, CancellationToken ct)
        {
            _owner = owner;
            _request = request;
            _args = args;
            _seed = seed;
            _model = model;
            _inputs = inputs;
            _manifest = manifest;
            _ct = ct;
            // Evaluation goes through the predictor's batched loop (eval mode, length-sorted dynamic padding).
            _evaluator = new TransformerPredictor(null, manifest, model, inputs, args.PerDeviceEvalBatchSize, ownsModel: false);
            _checkpoints = new Checkpoints(request.Run.CheckpointsDirectory);
        }

        public (JsonObject? Best, JsonObject Summary) Run()
        {
            RemoveStaleTemporaries();
            var schema = _request.Schema;
            var trainEncodings = _request.Train.Select(e => _inputs.Encoder.Encode(e.Text, e.Context)).ToArray();
            var trainLabels = _request.Train.Select(e => e.Labels).ToArray();
            var valEncodings = _request.Validation.Select(e => _inputs.Encoder.Encode(e.Text, e.Context)).ToArray();
            var valLabels = _request.Validation.Select(e => e.Labels).ToArray();
            var weighting = schema.IsMultilabel ? _args.PosWeight : _args.ClassWeight;
            using var loss = new TrainingLoss(schema, weighting?.Resolve(schema, _request.Train));

            var trainLengths = trainEncodings.Select(e => e.Length).ToArray();
            var sampler = new BatchSampler(trainLengths, _args.PerDeviceTrainBatchSize, _args.GroupByLength, _seed);
            var plan = TrainingPlan.For(_args, sampler, _state);
            using var optimizer = AdamW.For(_model, _args);
            _state.MetricForBestModel = _args.MetricForBestModel;
            Resume(optimizer);
            // bf16: the passes run on a bfloat16 copy; _model stays the float32 master that is evaluated and saved.
            using var bf16 = _args.Bf16 ? new Bf16WorkingCopy(_model, AutoModelForSequenceClassification.Create(_model.Config)) : null;
            var forwardModel = (SequenceClassificationModel?)bf16?.Working ?? _model;

            var clock = Stopwatch.StartNew();
            string? lastSaved = null;
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
                    int examples = micro.Sum(b => b.Length);
                    double stepLoss = 0;
                    // max_tokens_per_batch cuts each batch into forward passes within the token budget; they
                    // accumulate like micro-batches, so the step's gradient is the same.
                    foreach (var batchIndices in micro.SelectMany(b => BatchSampler.Split(b, trainLengths, _args.MaxTokensPerBatch)))
                    {
                        if (_ct.IsCancellationRequested) Cancel(optimizer, plan.Schedule, ref lastSaved);
                        using var scope = NewDisposeScope();
                        using var batch = new EncodedBatch(_inputs.Pad(trainEncodings, batchIndices));
                        using var output = forwardModel.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
                        // Each micro-batch weighs by its share of the step's examples: the accumulated gradient is
                        // the gradient of the mean loss over all of them, as one large batch would give.
                        var scaled = loss.Compute(output.Logits, loss.Targets(trainLabels, batchIndices)) * ((double)batchIndices.Length / examples);
                        scaled.backward();
                        stepLoss += scaled.item<float>();
                    }
                    return stepLoss;
                },
                AfterStep = epochEnd =>
                {
                    bool evaluate = _args.EvalStrategy == IntervalStrategy.Steps ? _state.GlobalStep % _args.EvalSteps == 0 || _state.GlobalStep == plan.TotalSteps
                        : _args.EvalStrategy == IntervalStrategy.Epoch && epochEnd;
                    bool newBest = evaluate && Evaluate(valEncodings, valLabels, loss);
                    bool save = _args.SaveStrategy == IntervalStrategy.Steps ? _state.GlobalStep % _args.SaveSteps == 0
                        : _args.SaveStrategy == IntervalStrategy.Epoch && epochEnd;
                    if (save || (newBest && _args.SaveStrategy != IntervalStrategy.No))
                        lastSaved = Save(optimizer, plan.Schedule, newBest);
                },
            };
            var (totalLoss, stepsRun) = loop.Run();

            double seconds = clock.Elapsed.TotalSeconds;
            Log(new JsonObject
            {
                ["train_runtime"] = Round(seconds),
                ["train_samples_per_second"] = Round(stepsRun * _args.PerDeviceTrainBatchSize * plan.Accumulation / Math.Max(seconds, 1e-9)),
                ["train_steps_per_second"] = Round(stepsRun / Math.Max(seconds, 1e-9)),
                ["train_loss"] = stepsRun > 0 ? totalLoss / stepsRun : null,
                ["epoch"] = Round(_state.Epoch), ["step"] = _state.GlobalStep,
            });
            _owner.LogHistory = _state.LogHistory;

            if (_args.LoadBestModelAtEnd && _bestWeights is not null) RestoreBest();
            DisposeBest();
            _model.eval();
            var best = _state.BestMetric is double bestValue
                ? new JsonObject { ["metric"] = _args.MetricForBestModel, ["value"] = bestValue, ["step"] = _state.BestGlobalStep, ["checkpoint"] = _state.BestModelCheckpoint }
                : null;
            return (best, Summary());
        }

        // run.json's "training": how far training went, whether it stopped early, and the best evaluation.
        private JsonObject Summary()
        {
            var summary = new JsonObject
            {
                ["global_step"] = _state.GlobalStep,
                ["max_steps"] = _state.MaxSteps,
                ["epoch"] = Round(_state.Epoch),
                ["stopped_early"] = _state.ShouldTrainingStop,
            };
            if (_state.ShouldTrainingStop)
            {
                summary["stopped_at_step"] = _state.GlobalStep;
                summary["stop_reason"] = _stopReason ?? StopEventReason();
            }
            summary["metric_for_best_model"] = _args.EvalStrategy == IntervalStrategy.No ? null : _args.MetricForBestModel;
            summary["best_step"] = _state.BestGlobalStep;
            summary["best_metric"] = _state.BestMetric;
            summary["best_checkpoint"] = _state.BestModelCheckpoint;
            summary["load_best_model_at_end"] = _args.LoadBestModelAtEnd;
            return summary;
        }

        // A resumed run that had already stopped: the reason is in its log.
        private string? StopEventReason() =>
            _state.LogHistory.LastOrDefault(r => r["event"]?.GetValue<string>() == EarlyStoppingEvent)?["reason"]?.GetValue<string>();

        /// <summary>The <c>event</c> of the log.jsonl row that announces early stopping.</summary>
        public const string EarlyStoppingEvent = "early_stopping";

        // Folders a killed save left in checkpoints/, and log.jsonl temporaries, from an earlier process on this run.
        private void RemoveStaleTemporaries()
        {
            var removed = _checkpoints.RemoveStaleTemporaries().ToList();
            var root = _request.Run.Root;
            if (Directory.Exists(root))
                foreach (var file in Directory.GetFiles(root, "." + Path.GetFileName(_request.Run.LogJsonl) + ".*.tmp"))
                {
                    File.Delete(file);
                    removed.Add(file);
                }
            if (removed.Count > 0)
                _request.Log?.Invoke($"cleaned up {removed.Count} leftover(s) of an interrupted run: {string.Join(", ", removed.Select(Path.GetFileName))}");
        }

        // Evaluates on the validation split, logs eval_*, updates best model / early stopping and tells the callbacks;
        // true for a new best.
        private bool Evaluate(Encoding[] encodings, int[][] labels, TrainingLoss loss)
        {
            double lossSum = 0;
            var logits = _evaluator.Score(encodings, ForwardMode.Deterministic, _args.PerDeviceEvalBatchSize,
                (batch, batchLogits) => lossSum += loss.Compute(batchLogits, loss.Targets(labels, batch.Rows)).item<float>() * batch.Count, _ct);
            double evalLoss = lossSum / Math.Max(1, encodings.Length);
            var probabilities = LinkFunction.Apply(logits, _evaluator.Link);
            var schema = _request.Schema;
            var predicted = probabilities.Select(p => DecisionRule.Apply(schema, p)).ToArray();
            var report = MetricReport.Compute("val", schema, labels, predicted, probabilities);
            var row = new JsonObject { [TrainingArguments.EvalLossKey] = evalLoss };
            var metrics = new Dictionary<string, double> { [TrainingArguments.EvalLossKey] = evalLoss };
            foreach (var key in MetricKeys.All)
                if (report.TryGet(key, out double v))
                {
                    row["eval_" + key] = v;
                    metrics[key] = v;
                }
            row["epoch"] = Round(_state.Epoch);
            row["step"] = _state.GlobalStep;
            Log(row);

            double metric = _args.MetricForBestModel == TrainingArguments.EvalLossKey ? evalLoss
                : report.TryGet(_args.MetricForBestModel, out double m) ? m : double.NaN;
            bool better(double a, double b) => _args.GreaterIsBetter ? a > b : a < b;
            bool newBest = double.IsFinite(metric) && (_state.BestMetric is not double current || better(metric, current));

            // HF's EarlyStoppingCallback: an improvement must beat the best so far by more than the threshold.
            string? stop = null;
            if (_args.EarlyStoppingPatience is int patience)
            {
                bool improved = double.IsFinite(metric) && (_state.BestMetric is not double prior
                    || (better(metric, prior) && Math.Abs(metric - prior) > _args.EarlyStoppingThreshold));
                _state.EarlyStoppingPatienceCounter = improved ? 0 : _state.EarlyStoppingPatienceCounter + 1;
                if (_state.EarlyStoppingPatienceCounter >= patience)
                    stop = $"no improvement in {_args.MetricForBestModel} for {patience} evaluation{(patience == 1 ? "" : "s")}";
            }
            if (newBest)
            {
                _state.BestMetric = metric;
                _state.BestGlobalStep = _state.GlobalStep;
                _state.BestModelCheckpoint = null;
                SnapshotBest();
            }

            var control = TrainerControl.Notify(_request.Callbacks, new TrainerEvaluation(_state.GlobalStep, _state.Epoch, metrics));
            stop ??= control.ShouldStop ? control.StopReason : null;
            if (stop is not null) AnnounceStop(stop);
            return newBest;
        }

        // Early stopping (patience or a callback): training ends after this step; log line, log.jsonl row, summary.
        private void AnnounceStop(string reason)
        {
            _state.ShouldTrainingStop = true;
            _stopReason = reason;
            _request.Log?.Invoke($"early stopping at step {_state.GlobalStep}: {reason}" +
                                 (_state.BestGlobalStep is int bestStep ? $" (best {_args.MetricForBestModel} {_state.BestMetric:0.####} at step {bestStep})" : ""));
            Log(new JsonObject
            {
                ["event"] = EarlyStoppingEvent, ["reason"] = reason, ["best_step"] = _state.BestGlobalStep, ["best_metric"] = _state.BestMetric,
                ["epoch"] = Round(_state.Epoch), ["step"] = _state.GlobalStep,
            });
        }

        private string Save(AdamW optimizer, LearningRateSchedule schedule, bool isBest)
        {
            if (isBest || _state.BestGlobalStep == _state.GlobalStep) _state.BestModelCheckpoint = _checkpoints.PathOf(_state.GlobalStep);
            var path = _checkpoints.Save(_model, _inputs.Tokenizer, _manifest, optimizer, schedule, _args.LearningRate, _seed, _state);
            _checkpoints.Rotate(_args.SaveTotalLimit, _state.BestModelCheckpoint);
            return path;
        }

        // Ctrl+C: leave a resumable checkpoint at the last completed step, then stop.
        private void Cancel(AdamW optimizer, LearningRateSchedule schedule, ref string? lastSaved)
        {
            var path = _checkpoints.PathOf(_state.GlobalStep);
            if (lastSaved != path)
            {
                optimizer.ZeroGrad();
                lastSaved = Save(optimizer, schedule, isBest: false);
            }
            _owner.LogHistory = _state.LogHistory;
            DisposeBest();
            throw new OperationCanceledException($"Training cancelled at step {_state.GlobalStep}; resume with resume_from_checkpoint: true.", _ct);
        }

        private void Resume(AdamW optimizer)
        {
            if (_args.ResumeFromCheckpoint is not { } spec) return;
            var path = spec == TrainingArguments.LatestCheckpoint
                ? _checkpoints.Latest() ?? throw new InputException("resume_from_checkpoint is true but the run has no checkpoint", _checkpoints.Directory, field: "resume_from_checkpoint")
                : Path.GetFullPath(spec);
            var saved = Checkpoints.Load(path, _model, optimizer);
            if (saved.MaxSteps != _state.MaxSteps)
                throw new InputException($"the checkpoint belongs to a run of {saved.MaxSteps} steps, this one has {_state.MaxSteps}; training settings changed",
                    path, field: "resume_from_checkpoint");
            _state.GlobalStep = saved.GlobalStep;
            _state.Epoch = saved.Epoch;
            _state.BestMetric = saved.BestMetric;
            _state.BestGlobalStep = saved.BestGlobalStep;
            _state.BestModelCheckpoint = saved.BestModelCheckpoint;
            _state.EarlyStoppingPatienceCounter = saved.EarlyStoppingPatienceCounter;
            _state.ShouldTrainingStop = saved.ShouldTrainingStop;
            _state.LogHistory = saved.LogHistory;
            WriteLog();
            if (_state.BestModelCheckpoint is { } bestPath && Directory.Exists(bestPath))
            {
                using var weights = SafeTensorsCheckpoint.Open(bestPath);
                _bestWeights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (var (name, p) in _model.named_parameters())
                    _bestWeights[name] = tensor(weights.ReadFloat32(name), p.shape, p.dtype);
            }
        }

        private void SnapshotBest()
        {
            DisposeBest();
            using var _ = no_grad();
            _bestWeights = _model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone(), StringComparer.Ordinal);
        }

        private void RestoreBest()
        {
            using var _ = no_grad();
            foreach (var (name, p) in _model.named_parameters()) p.copy_(_bestWeights![name]);
        }

        private void DisposeBest()
        {
            if (_bestWeights is null) return;
            foreach (var t in _bestWeights.Values) t.Dispose();
            _bestWeights = null;
        }

        private void Log(JsonObject row)
        {
            _state.LogHistory.Add(row);
            WriteLog();
        }

        // log.jsonl is rewritten whole (atomically) on each row: a resumed run drops rows after its checkpoint.
        private void WriteLog() => AtomicFile.WriteText(_request.Run.LogJsonl, w =>
        {
            foreach (var row in _state.LogHistory) w.Write(row.ToJsonString() + "\n");
        });

        private void Report(int step, int total, double loss, double lr) =>
            _request.Progress?.Report(new ProgressUpdate("training", step, total, string.Create(CultureInfo.InvariantCulture,
                $"loss {(double.IsNaN(loss) ? "-" : loss.ToString("0.000", CultureInfo.InvariantCulture))} lr {lr:0.0e+00} epoch {_state.Epoch:0.00}")));

        // Epochs and throughput are printed short, as HF does; losses and metrics keep full precision.
        private static double Round(double value) => Math.Round(value, 4);
    }
}
