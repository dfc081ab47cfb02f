using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;

namespace Classify.Transformers.Models;

/// <summary>
/// A folder's weights opened (memory-mapped, header parsed) and matched against the parameters its config implies,
/// with nothing allocated yet: what <see cref="AutoModelForSequenceClassification"/> and <see cref="AutoModelForMaskedLM"/> build a model from. Opening
/// refuses a bad config, a malformed file, or weights that do not fit the config, at the cost of reading the header.
/// </summary>
internal sealed class CheckedWeights : IDisposable
{
    private CheckedWeights(ParameterPlan plan, SafeTensorsCheckpoint checkpoint, WeightMatch match)
    {
        Plan = plan;
        Checkpoint = checkpoint;
        Match = match;
    }

    /// <summary>The parameters the config implies.</summary>
    public ParameterPlan Plan { get; }

    /// <summary>The opened weights.</summary>
    public SafeTensorsCheckpoint Checkpoint { get; }

    /// <summary>Which tensor feeds which parameter.</summary>
    public WeightMatch Match { get; }

    /// <summary>Validates <paramref name="config"/>, opens the weights of <paramref name="directory"/> and matches them to the model with <paramref name="head"/>.</summary>
    /// <exception cref="Classify.Core.IO.InputException">Naming the file and the key or tensor at fault.</exception>
    public static CheckedWeights Open(PretrainedConfig config, string directory, WeightLoadMode mode, ModelHead head = ModelHead.SequenceClassification)
    {
        var plan = ParameterPlan.For(config, head);
        var checkpoint = SafeTensorsCheckpoint.Open(directory);
        try
        {
            return new CheckedWeights(plan, checkpoint, plan.Match(checkpoint, mode));
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Unmaps the weights.</summary>
    public void Dispose() => Checkpoint.Dispose();
}
