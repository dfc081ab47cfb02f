using System.CommandLine;
using System.Globalization;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Uncertainty;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>--mc-samples</c>, <c>--mc-batch-size</c> and <c>--seed</c> of <c>predict</c> and <c>eval</c>: parsed here (whole
/// numbers in range, else exit 2 naming the flag), defaulting to the package's <c>uncertainty</c> settings.
/// </summary>
internal sealed class UncertaintyFlags
{
    private readonly Option<string?> _samples = new("--mc-samples")
    {
        Description = "Monte-Carlo dropout passes for the uncertainty (1 = the deterministic pass only; default: the package's uncertainty.mc_samples, else 1).",
    };
    private readonly Option<string?> _batchSize = new("--mc-batch-size")
    {
        Description = $"Rows × passes per forward pass with --mc-samples above 1 (default: the package's, else {UncertaintyOptions.DefaultMcBatchSize}).",
    };
    private readonly Option<string?> _seed = new("--seed") { Description = "Seed of the Monte-Carlo dropout passes (default 0): the same seed gives the same output." };

    /// <summary>Adds the three options to a command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_samples);
        command.Options.Add(_batchSize);
        command.Options.Add(_seed);
    }

    /// <summary>The flags' values checked for range (before any model is loaded); null for a flag not given.</summary>
    public (int? Samples, int? BatchSize, ulong Seed) Parse(ParseResult parse)
    {
        int? samples = Whole(parse.GetValue(_samples), "--mc-samples", UncertaintyOptions.SamplesProblem);
        int? batch = Whole(parse.GetValue(_batchSize), "--mc-batch-size", UncertaintyOptions.BatchSizeProblem);
        ulong seed = 0;
        if (parse.GetValue(_seed) is { } s && !ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out seed))
            throw new InputException($"expected a whole number from 0 to {ulong.MaxValue}, got '{s}'", field: "--seed");
        return (samples, batch, seed);
    }

    /// <summary>
    /// The settings for <paramref name="predictor"/>: the flags over the package's defaults; more than one sample for a
    /// model without dropout is an input error naming the flag (or the package key that asked for it).
    /// </summary>
    public static UncertaintyOptions Resolve((int? Samples, int? BatchSize, ulong Seed) flags, IPredictor predictor)
    {
        var package = predictor.Manifest.Uncertainty ?? UncertaintyOptions.SinglePass;
        var options = package with { McSamples = flags.Samples ?? package.McSamples, McBatchSize = flags.BatchSize ?? package.McBatchSize };
        if (options.PredictorProblem(predictor) is { } problem)
            throw new InputException(problem, field: flags.Samples is null ? "uncertainty.mc_samples (classify.json)" : "--mc-samples");
        return options;
    }

    private static int? Whole(string? text, string flag, Func<long, string?> problem)
    {
        if (text is null) return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw new InputException($"expected a whole number, got '{text}'", field: flag);
        if (problem(value) is { } reason) throw new InputException(reason, field: flag);
        return (int)value;
    }
}
