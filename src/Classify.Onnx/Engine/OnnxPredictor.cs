using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Randomness;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.Tokenization;
using Classify.Onnx.Export;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Classify.Onnx.Engine;

/// <summary>Inference settings of an <see cref="OnnxPredictor"/>.</summary>
public sealed record OnnxPredictorOptions
{
    /// <summary>The defaults: batches of 32, max_length from the package, one intra-op thread per core.</summary>
    public static OnnxPredictorOptions Default { get; } = new();

    /// <summary>
    /// Inputs per forward pass of a float graph (sorted by length first, so each batch is padded only to its own
    /// longest). Quantized graphs always run one unpadded row at a time (see <see cref="OnnxPredictor.RowAtATime"/>).
    /// </summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Overrides the package's <c>max_length</c> (capped at what the model's position table allows).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Intra-op threads of the session (default <see cref="Environment.ProcessorCount"/>).</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Whether the session's intra-op threads spin while waiting for work (ONNX Runtime's
    /// <c>session.intra_op.allow_spinning</c>; null: ONNX Runtime's default, spinning). Spinning shortens each
    /// operator's hand-off for a process that does nothing but score; in a server it burns the cores that the HTTP
    /// threads need between forward passes, so <c>classify serve</c> turns it off.
    /// </summary>
    public bool? AllowSpinning { get; init; }
}

/// <summary>
/// Predicts with an ONNX sequence classifier through ONNX Runtime (no TorchSharp): a Classify ONNX package
/// (<c>classify.json</c> with engine <c>onnx</c>, as <c>classify export</c> writes it) or a Hugging Face Optimum-style folder
/// (<c>model.onnx</c> + <c>config.json</c> + tokenizer files), whose labels then come from <c>id2label</c> and whose task from
/// <c>problem_type</c>. Scores are the <c>logits</c> output; probabilities come from <see cref="LinkFunction"/>.
/// </summary>
/// <remarks>
/// Tokenization, length-sorted batching and padding are <see cref="ClassifierInputs"/>, shared with the TorchSharp
/// engine, so both see identical ids. The graph's inputs are fed by name: <c>input_ids</c>, <c>attention_mask</c> and,
/// when the graph declares it, <c>token_type_ids</c> (zeros for a model without segments).
/// <para>Monte-Carlo dropout needs a graph exported with <c>--mc-dropout</c> (<see cref="OnnxExportOptions.McDropout"/>):
/// its <c>Dropout</c> nodes are switched by the boolean input <c>mc_dropout</c>, fed false for every deterministic
/// pass and true for the passes of <see cref="PredictDropoutPasses"/>. Other graphs refuse dropout passes.</para>
/// </remarks>
public sealed class OnnxPredictor : IMultiPassPredictor
{
    private static readonly string[] KnownInputs = ["input_ids", "attention_mask", "token_type_ids"];

    private readonly InferenceSession _session;
    private readonly SessionOptionsSnapshot _sessionSettings;
    private readonly string[] _inputNames;
    private readonly string? _dropoutInput;
    private readonly int? _dropoutNodes;
    private readonly string _outputName;
    private readonly int _batchSize;

    private OnnxPredictor(string directory, string modelPath, ModelManifest manifest, ClassifierInputs inputs, InferenceSession session, int batchSize,
        SessionOptionsSnapshot sessionSettings)
    {
        _sessionSettings = sessionSettings;
        Directory = directory;
        ModelPath = modelPath;
        Manifest = manifest;
        Inputs = inputs;
        _session = session;
        Link = LinkFunction.ForTask(manifest.Schema.Kind);

        foreach (var (name, meta) in session.InputMetadata)
        {
            if (name == OnnxGraph.DropoutSwitchInput && meta.ElementType == typeof(bool))
            {
                _dropoutInput = name;
                continue;
            }
            if (!KnownInputs.Contains(name))
                throw new InputException($"the graph has an input '{name}'; a sequence classifier takes {string.Join(", ", KnownInputs)}", modelPath);
            if (meta.ElementType != typeof(long))
                throw new InputException($"the graph's input '{name}' is {meta.ElementType.Name}; Classify feeds int64 token ids", modelPath);
        }
        _inputNames = session.InputMetadata.Keys.Where(n => n != _dropoutInput).ToArray();
        if (!_inputNames.Contains("input_ids")) throw new InputException("the graph has no 'input_ids' input", modelPath);
        _outputName = session.OutputMetadata.ContainsKey("logits") ? "logits" : session.OutputMetadata.Keys.First();

        // Dynamic quantization takes each activation's scale over the whole tensor, so a row's scores would depend on
        // the rows batched with it; one unpadded row per run keeps every row independent of the others.
        RowAtATime = session.ModelMetadata.CustomMetadataMap.ContainsKey(DynamicQuantizer.MetadataKey)
                     || manifest.EngineOptions?["quantization"]?.ToString() == "int8";
        _batchSize = RowAtATime ? 1 : batchSize;
        if (_dropoutInput is not null
            && session.ModelMetadata.CustomMetadataMap.TryGetValue(OnnxExporter.DropoutNodesMetadataKey, out var count)
            && int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var nodes))
            _dropoutNodes = nodes;
    }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>The ONNX file.</summary>
    public string ModelPath { get; }

    /// <inheritdoc />
    public ModelManifest Manifest { get; }

    /// <inheritdoc />
    public ScoreLink Link { get; }

    /// <summary>
    /// True for a graph with switchable dropout (the boolean input <c>mc_dropout</c>, written by
    /// <c>classify export --mc-dropout</c>); false for other graphs, which hold no dropout to switch on.
    /// </summary>
    public bool SupportsDropout => _dropoutInput is not null;

    /// <summary>
    /// True when the graph has switchable dropout and some <c>Dropout</c> node (the export writes none for a
    /// probability of 0, so a ModernBERT checkpoint with every dropout at 0 has none).
    /// </summary>
    public bool HasDropout => SupportsDropout && _dropoutNodes != 0;

    /// <summary>True for a quantized graph, which runs one unpadded row per forward so that rows stay independent.</summary>
    public bool RowAtATime { get; }

    /// <summary>The tokenizer loaded from the folder.</summary>
    public PreTrainedTokenizer Tokenizer => Inputs.Tokenizer;

    /// <summary>Tokens per input, special tokens included; longer inputs are truncated.</summary>
    public int MaxLength => Inputs.MaxLength;

    /// <summary>Tokenization, padding and the batched scoring loop.</summary>
    internal ClassifierInputs Inputs { get; }

    /// <summary>
    /// Loads an ONNX package or Optimum-style folder. <paramref name="manifest"/> is the folder's <c>classify.json</c>
    /// when it has one (read here when null and present).
    /// </summary>
    /// <exception cref="InputException">No <c>model.onnx</c>, an unreadable graph, missing or malformed HF files, or labels that do not match.</exception>
    public static OnnxPredictor Load(string modelDirectory, ModelManifest? manifest = null, OnnxPredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        options ??= OnnxPredictorOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var modelPath = OnnxEngine.FindModel(modelDirectory)
                        ?? throw new InputException($"no {OnnxExporter.ModelFileName} here (nor in onnx/)", Path.GetFullPath(modelDirectory));
        var folder = ClassifierFolder.Open(modelDirectory, OnnxEngine.EngineName, manifest, options.MaxLength);
        var settings = new SessionOptionsSnapshot(options.Threads ?? Environment.ProcessorCount, options.AllowSpinning);
        var sessionOptions = settings.Create();
        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InputException($"ONNX Runtime cannot load the graph: {e.Message}", modelPath, inner: e);
        }
        finally
        {
            sessionOptions.Dispose();
        }
        try
        {
            return new OnnxPredictor(folder.Directory, modelPath, folder.Manifest, folder.Inputs, session, options.BatchSize, settings);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Logits (before temperature), one row per input in input order, in label order. A dropout pass
    /// (<see cref="ForwardMode.WithDropout"/>) is the single-pass case of <see cref="PredictDropoutPasses"/>.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="mode"/> asks for dropout and the graph has no switchable dropout.</exception>
    public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (mode.Dropout) return PredictDropoutPasses(inputs, [mode.Seed], _batchSize, cancellationToken)[0];
        return Inputs.Score(Inputs.Encode(inputs), _batchSize, batch => Forward(_session, batch, dropout: false), cancellationToken);
    }

    /// <summary>
    /// Logits of one Monte-Carlo-dropout pass per seed, <c>[pass][row][label]</c>, for a graph exported with
    /// <c>--mc-dropout</c>: every (row, pass) pair is one row of a larger forward pass with <c>mc_dropout</c> true, at
    /// most <paramref name="maxRowsPerForward"/> of them per forward (one for a quantized graph), ordered by length.
    /// </summary>
    /// <remarks>
    /// <para>The masks are ONNX Runtime's: its CPU <c>Dropout</c> kernel draws each node's mask over the whole input
    /// tensor from <c>std::default_random_engine(seed + k)</c>, where <c>seed</c> is the node's <c>seed</c> attribute and
    /// <c>k</c> counts the node's stochastic runs since the session was created. So each call builds a fresh session of
    /// the graph whose <c>seed</c> attributes are derived from <paramref name="passSeeds"/> (and the node's index), runs
    /// its forwards and disposes it: a call is reproducible — the same inputs in the same order, seeds,
    /// <paramref name="maxRowsPerForward"/> and max_length give the same scores on the same ONNX Runtime build — but a
    /// row's masks depend on the whole call (its place among the length-sorted (row, pass) pairs and the padded
    /// length of its forward), not on (pass seed, row) alone as the transformer engine's do; pass <c>k</c> of n passes
    /// is not pass <c>k</c> of more passes. The extra session costs its creation time (about the model's load time) per call.</para>
    /// </remarks>
    /// <exception cref="NotSupportedException">The graph has no switchable dropout (exported without <c>--mc-dropout</c>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">No seeds, or <paramref name="maxRowsPerForward"/> below 1.</exception>
    public double[][][] PredictDropoutPasses(IReadOnlyList<TextInput> inputs, IReadOnlyList<ulong> passSeeds, int maxRowsPerForward,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(passSeeds);
        ArgumentOutOfRangeException.ThrowIfLessThan(passSeeds.Count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRowsPerForward, 1);
        if (!SupportsDropout) throw new NotSupportedException(NoDropoutMessage);
        var encodings = Inputs.Encode(inputs);
        int rows = encodings.Length, passes = passSeeds.Count;
        if (rows == 0) return Enumerable.Range(0, passes).Select(_ => Array.Empty<double[]>()).ToArray();
        var items = new HuggingFace.Tokenization.Encoding[checked(rows * passes)];
        for (int k = 0; k < passes; k++)
            for (int r = 0; r < rows; r++) items[k * rows + r] = encodings[r];
        double[][] flat;
        using (var session = DropoutSession(passSeeds))
            flat = Inputs.Score(items, RowAtATime ? 1 : maxRowsPerForward, batch => Forward(session, batch, dropout: true), cancellationToken);
        var result = new double[passes][][];
        for (int k = 0; k < passes; k++) result[k] = flat[(k * rows)..((k + 1) * rows)];
        return result;
    }

    /// <summary>
    /// For a graph without switchable dropout: it was exported without it, and <c>classify export --mc-dropout</c> is the
    /// fix; null for a graph with it.
    /// </summary>
    public string? NoDropoutReason => SupportsDropout ? null : NoDropoutText;

    private const string NoDropoutText =
        "this ONNX graph was exported without dropout; export it again with `classify export --format onnx --mc-dropout` " +
        "(or use the transformer package) for Monte-Carlo samples";

    private const string NoDropoutMessage = "the onnx engine cannot run Monte-Carlo dropout: " + NoDropoutText;

    // A session of the graph whose Dropout seed attributes are derived from the pass seeds (see PredictDropoutPasses).
    private InferenceSession DropoutSession(IReadOnlyList<ulong> passSeeds)
    {
        ModelProto model;
        using (var stream = File.OpenRead(ModelPath)) model = ModelProto.Parser.ParseFrom(stream);
        ulong key = 0x9E3779B97F4A7C15UL;
        foreach (var s in passSeeds) key = SeededRandom.SplitMix(key ^ s);
        long index = 0;
        foreach (var node in model.Graph.Node)
        {
            if (node.OpType != "Dropout") continue;
            // Spread over libstdc++'s minstd range (below 2³¹ − 1), so that node j's run k and node j′'s run k′ share a
            // seed only by a negligible coincidence.
            long seed = (long)(SeededRandom.SplitMix(key + (ulong)++index) % 2_147_483_000UL) + 1;
            var attribute = node.Attribute.FirstOrDefault(a => a.Name == "seed");
            if (attribute is null) node.Attribute.Add(OnnxGraph.Attr("seed", seed));
            else
            {
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = seed;
            }
        }
        using var sessionOptions = _sessionSettings.Create();
        // ONNX Runtime's inference builds remove every Dropout node while optimising (the EliminateDropout rule ignores
        // training_mode), which is what the deterministic session wants; this one keeps them, with every other fusion.
        sessionOptions.AddSessionConfigEntry("optimization.disable_specified_optimizers", "EliminateDropout");
        return new InferenceSession(model.ToByteArray(), sessionOptions);
    }

    // One padded batch through a session; rows in the batch's order. A graph with switchable dropout gets mc_dropout.
    private double[][] Forward(InferenceSession session, PaddedBatch batch, bool dropout)
    {
        var shape = batch.Shape;
        var values = new List<OrtValue>(_inputNames.Length + 1);
        try
        {
            foreach (var name in _inputNames)
            {
                var data = name switch
                {
                    "input_ids" => batch.InputIds,
                    "attention_mask" => batch.AttentionMask,
                    _ => batch.TokenTypeIds ?? new long[batch.InputIds.Length],
                };
                values.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
            }
            IReadOnlyCollection<string> names = _inputNames;
            if (_dropoutInput is not null)
            {
                values.Add(OrtValue.CreateTensorValueFromMemory(new[] { dropout }, []));
                names = [.. _inputNames, _dropoutInput];
            }
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, names, values, [_outputName]);
            var logits = outputs[0];
            var dims = logits.GetTensorTypeAndShape().Shape;
            if (dims.Length != 2 || dims[0] != batch.Count)
                throw new InvalidOperationException($"the graph's '{_outputName}' has shape [{string.Join(", ", dims)}]; expected [{batch.Count}, labels]");
            var flat = logits.GetTensorDataAsSpan<float>();
            int labels = checked((int)dims[1]);
            var result = new double[batch.Count][];
            for (int r = 0; r < result.Length; r++)
            {
                var row = new double[labels];
                for (int k = 0; k < labels; k++) row[k] = flat[r * labels + k];
                result[r] = row;
            }
            return result;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => _session.Dispose();

    // The settings a Monte-Carlo session is created with (those of the predictor's own session).
    private sealed record SessionOptionsSnapshot(int Threads, bool? AllowSpinning)
    {
        // The options of every session of this predictor: all graph optimisations, sequential execution, these threads
        // and, when set, ONNX Runtime's intra-op spinning.
        public SessionOptions Create()
        {
            var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                IntraOpNumThreads = Threads,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            };
            if (AllowSpinning is { } spin) options.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
            return options;
        }
    }
}
