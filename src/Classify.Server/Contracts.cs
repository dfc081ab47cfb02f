using System.Text.Json.Serialization;

namespace Classify.Server;

/// <summary>The body of <c>POST /v1/classify</c>.</summary>
public sealed record ClassifyRequest
{
    /// <summary>The texts to classify (1 to <see cref="ServerOptions.MaxTextsPerRequest"/>).</summary>
    [JsonPropertyName("texts")] public IReadOnlyList<string> Texts { get; init; } = [];

    /// <summary>The model's name (<c>GET /v1/models</c>); default: the first served model.</summary>
    [JsonPropertyName("model")] public string? Model { get; init; }

    /// <summary>
    /// Monte-Carlo samples for the uncertainty; default: the package's <c>uncertainty.mc_samples</c>, else 1. Above 1
    /// only for a model with <c>supports_mc_samples</c> (an ONNX package exported with <c>--mc-dropout</c>); each text
    /// then counts once per sample toward the batch and queue limits.
    /// </summary>
    [JsonPropertyName("mc_samples")] public int? McSamples { get; init; }

    /// <summary>Seed of the Monte-Carlo passes (default 0).</summary>
    [JsonPropertyName("seed")] public ulong? Seed { get; init; }
}

/// <summary>
/// One prediction, exactly a line of <c>classify predict --format json</c> (<see cref="Core.Prediction.PredictionJson"/>).
/// </summary>
public sealed record PredictionDocument
{
    /// <summary>The text as given.</summary>
    [JsonPropertyName("text")] public string Text { get; init; } = "";

    /// <summary>The predicted labels (empty when abstained).</summary>
    [JsonPropertyName("labels")] public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Present for models with an abstain rule.</summary>
    [JsonPropertyName("abstained")] public bool? Abstained { get; init; }

    /// <summary>Every label's probability, in schema order.</summary>
    [JsonPropertyName("probabilities")] public IReadOnlyDictionary<string, double> Probabilities { get; init; } = new Dictionary<string, double>();

    /// <summary>Predictive entropy, aleatoric and epistemic parts (nats), per-label standard deviations (see uncertainty.md).</summary>
    [JsonPropertyName("uncertainty")] public IReadOnlyDictionary<string, object>? Uncertainty { get; init; }
}

/// <summary>The answer of <c>POST /v1/classify</c>.</summary>
public sealed record ClassifyResponse
{
    /// <summary>The model that scored the texts.</summary>
    [JsonPropertyName("model")] public string Model { get; init; } = "";

    /// <summary>One prediction per text, in request order.</summary>
    [JsonPropertyName("predictions")] public IReadOnlyList<PredictionDocument> Predictions { get; init; } = [];
}

/// <summary>A served model as listed by <c>GET /v1/models</c>.</summary>
public sealed record ModelInfo
{
    /// <summary>The name to put in <c>"model"</c>.</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "";

    /// <summary>True for the model used when a request names none.</summary>
    [JsonPropertyName("default")] public bool Default { get; init; }

    /// <summary><c>linear</c> or <c>onnx</c>.</summary>
    [JsonPropertyName("engine")] public string Engine { get; init; } = "";

    /// <summary><c>binary</c>, <c>multiclass</c> or <c>multilabel</c>.</summary>
    [JsonPropertyName("task")] public string Task { get; init; } = "";

    /// <summary>The labels, in schema order.</summary>
    [JsonPropertyName("labels")] public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>The Monte-Carlo samples used when a request asks for none.</summary>
    [JsonPropertyName("mc_samples")] public int McSamples { get; init; } = 1;

    /// <summary>True when requests may ask for more than one Monte-Carlo sample.</summary>
    [JsonPropertyName("supports_mc_samples")] public bool SupportsMcSamples { get; init; }

    /// <summary>True when the model has an abstain rule (its predictions carry <c>abstained</c>).</summary>
    [JsonPropertyName("abstain")] public bool Abstain { get; init; }
}

/// <summary>The answer of <c>GET /v1/models</c>.</summary>
public sealed record ModelsResponse
{
    /// <summary>The served models, the default first.</summary>
    [JsonPropertyName("models")] public IReadOnlyList<ModelInfo> Models { get; init; } = [];
}

/// <summary>Every error answer: <c>{"error": "what is wrong"}</c>.</summary>
/// <param name="Error">One line naming the problem.</param>
public sealed record ErrorResponse([property: JsonPropertyName("error")] string Error);

/// <summary>The answer of <c>/healthz</c> and <c>/readyz</c>.</summary>
/// <param name="Status"><c>ok</c>, <c>ready</c>, <c>loading</c> or <c>draining</c>.</param>
public sealed record StatusResponse([property: JsonPropertyName("status")] string Status);
