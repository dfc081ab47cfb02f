using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.Tokenization;
using Classify.Onnx.Export;
using Microsoft.ML.OnnxRuntime;

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
/// when the graph declares it, <c>token_type_ids</c> (zeros for a model without segments). Monte-Carlo dropout is not
/// available: graphs are exported in evaluation mode, with no dropout nodes to switch on.
/// </remarks>
public sealed class OnnxPredictor : IPredictor
{
    private static readonly string[] KnownInputs = ["input_ids", "attention_mask", "token_type_ids"];

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string _outputName;
    private readonly int _batchSize;

    private OnnxPredictor(string directory, string modelPath, ModelManifest manifest, ClassifierInputs inputs, InferenceSession session, int batchSize)
    {
        Directory = directory;
        ModelPath = modelPath;
        Manifest = manifest;
        Inputs = inputs;
        _session = session;
        Link = LinkFunction.ForTask(manifest.Schema.Kind);

        _inputNames = session.InputMetadata.Keys.ToArray();
        foreach (var (name, meta) in session.InputMetadata)
        {
            if (!KnownInputs.Contains(name))
                throw new InputException($"the graph has an input '{name}'; a sequence classifier takes {string.Join(", ", KnownInputs)}", modelPath);
            if (meta.ElementType != typeof(long))
                throw new InputException($"the graph's input '{name}' is {meta.ElementType.Name}; Classify feeds int64 token ids", modelPath);
        }
        if (!_inputNames.Contains("input_ids")) throw new InputException("the graph has no 'input_ids' input", modelPath);
        _outputName = session.OutputMetadata.ContainsKey("logits") ? "logits" : session.OutputMetadata.Keys.First();

        // Dynamic quantization takes each activation's scale over the whole tensor, so a row's scores would depend on
        // the rows batched with it; one unpadded row per run keeps every row independent of the others.
        RowAtATime = session.ModelMetadata.CustomMetadataMap.ContainsKey(DynamicQuantizer.MetadataKey)
                     || manifest.EngineOptions?["quantization"]?.ToString() == "int8";
        _batchSize = RowAtATime ? 1 : batchSize;
    }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>The ONNX file.</summary>
    public string ModelPath { get; }

    /// <inheritdoc />
    public ModelManifest Manifest { get; }

    /// <inheritdoc />
    public ScoreLink Link { get; }

    /// <summary>False: exported graphs run in evaluation mode and hold no dropout to switch on.</summary>
    public bool SupportsDropout => false;

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
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.Threads ?? Environment.ProcessorCount,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (options.AllowSpinning is { } spin) sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
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
            return new OnnxPredictor(folder.Directory, modelPath, folder.Manifest, folder.Inputs, session, options.BatchSize);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Logits (before temperature), one row per input in input order, in label order.</summary>
    /// <exception cref="NotSupportedException"><paramref name="mode"/> asks for dropout.</exception>
    public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (mode.Dropout)
            throw new NotSupportedException("the onnx engine cannot run Monte-Carlo dropout: exported graphs hold no dropout; use the transformer package for --mc-samples");
        return Inputs.Score(Inputs.Encode(inputs), _batchSize, Forward, cancellationToken);
    }

    // One padded batch through the session; rows in the batch's order.
    private double[][] Forward(PaddedBatch batch)
    {
        var shape = batch.Shape;
        var values = new List<OrtValue>(_inputNames.Length);
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
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, _inputNames, values, [_outputName]);
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
}
