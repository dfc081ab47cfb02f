using System.Text.Encodings.Web;
using System.Text.Json;

namespace Classify.Core.Prediction;

/// <summary>
/// The JSON-lines prediction format, defined once for <c>predict --format json</c>, scored <c>.jsonl</c> files and the
/// server: one object per line, <c>{"id": …, "text": …, "labels": […], "probabilities": {"label": p, …}, "uncertainty": {…}}</c>,
/// with <c>id</c> only when the input had one, probabilities in schema order, and non-ASCII text written as is. A model
/// with an abstain rule adds <c>"abstained": true|false</c> after <c>labels</c> on every line (<c>labels</c> is then empty
/// when abstained; <see cref="Prediction.Confidence"/> says the rule was applied). The
/// <c>uncertainty</c> object (when the prediction has one, as every prediction of <see cref="TextClassifier"/> does) is
/// <c>{"predictive_entropy": x, "aleatoric": x, "epistemic": x, "std": {"label": s, …}, "per_label": {"label": {"aleatoric": x, "epistemic": x}, …}}</c>,
/// entropies in nats, <c>per_label</c> for multi-label models only (<see cref="Uncertainty.ExampleUncertainty.ToJsonFields"/>).
/// </summary>
public static class PredictionJson
{
    /// <summary>The serializer settings of a prediction line (compact, non-ASCII unescaped).</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One prediction as a JSON object's text, without a line break.</summary>
    public static string Format(Prediction prediction, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        var line = new Dictionary<string, object>(6);
        if (id is not null) line["id"] = id;
        line["text"] = prediction.Text;
        line["labels"] = prediction.Labels;
        if (prediction.Confidence is not null) line["abstained"] = prediction.Abstained;
        line["probabilities"] = prediction.Probabilities;
        if (prediction.Uncertainty is { } uncertainty) line["uncertainty"] = uncertainty.ToJsonFields(prediction.Probabilities.Keys.ToArray());
        return JsonSerializer.Serialize(line, Options);
    }

    /// <summary>Writes predictions one per line.</summary>
    public static void Write(TextWriter writer, IEnumerable<Prediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var p in predictions) writer.WriteLine(Format(p));
        writer.Flush();
    }
}
