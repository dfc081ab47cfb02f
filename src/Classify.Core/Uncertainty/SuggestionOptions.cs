using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Training;

namespace Classify.Core.Uncertainty;

/// <summary>How <see cref="ActiveLearning"/> ranks unlabelled rows: which rows a human coder should label first.</summary>
public enum SuggestionStrategy
{
    /// <summary>Highest predictive entropy first (total uncertainty, <see cref="ExampleUncertainty.PredictiveEntropy"/>).</summary>
    Entropy,
    /// <summary>
    /// Highest epistemic uncertainty first: the mutual information between the prediction and the Monte Carlo dropout
    /// passes, or the members of an ensemble (<see cref="ExampleUncertainty.Epistemic"/>, BALD). Needs a model with
    /// dropout (a transformer) or ensemble members (<c>linear.ensemble</c>).
    /// </summary>
    Epistemic,
    /// <summary>Smallest margin first (<see cref="ActiveLearning.Margin"/>): the rows closest to the decision boundary.</summary>
    Margin,
    /// <summary>A seeded uniform random sample (the baseline the other strategies should beat).</summary>
    Random,
}

/// <summary>Settings of <see cref="ActiveLearning.Suggest(TextClassifier, string, SuggestionOptions, CancellationToken)"/>.</summary>
public sealed record SuggestionOptions
{
    /// <summary>Monte Carlo dropout passes of the epistemic strategy when <see cref="McSamples"/> is not set.</summary>
    public const int DefaultMcSamples = 20;

    /// <summary>The fewest passes <see cref="McSamples"/> accepts: one pass has no epistemic part to measure.</summary>
    public const int MinMcSamples = 2;

    /// <summary>How many rows to suggest (the queue length), at least 1.</summary>
    public int K { get; init; } = 100;

    /// <summary>The ranking strategy.</summary>
    public SuggestionStrategy Strategy { get; init; } = SuggestionStrategy.Entropy;

    /// <summary>Text column of the input file.</summary>
    public string TextColumn { get; init; } = "text";

    /// <summary>Id column of the input file (default: the 1-based data row number).</summary>
    public string? IdColumn { get; init; }

    /// <summary>Conversation column, for a model trained with context (default: the training data's, from the package).</summary>
    public string? GroupColumn { get; init; }

    /// <summary>Turn-order column, for a model trained with context (default: the training data's; none = file order).</summary>
    public string? OrderColumn { get; init; }

    /// <summary>Speaker column, for a model trained with speaker tags (default: the training data's).</summary>
    public string? SpeakerColumn { get; init; }

    /// <summary>Rows read and scored at a time; with <see cref="K"/> it bounds the rows held in memory.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>
    /// Monte Carlo dropout passes per row, from <see cref="MinMcSamples"/> to <see cref="MonteCarloDropout.MaxPasses"/>.
    /// Null: <see cref="DefaultMcSamples"/> for <see cref="SuggestionStrategy.Epistemic"/>, and one deterministic pass
    /// for the other strategies. When set, every strategy scores the mean of the passes (the model needs dropout).
    /// </summary>
    public int? McSamples { get; init; }

    /// <summary>The most (row, pass) pairs one dropout forward pass may hold (see <see cref="MonteCarloDropout.PredictPasses"/>).</summary>
    public int McBatchSize { get; init; } = UncertaintyOptions.DefaultMcBatchSize;

    /// <summary>Seed of the dropout passes and of the random strategy.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Rows scored so far (stage "suggesting", total unknown), after every batch.</summary>
    public IProgress<ProgressUpdate>? Progress { get; init; }

    /// <summary>The Monte Carlo passes these settings ask for: 0 for one deterministic pass.</summary>
    public int Passes => McSamples ?? (Strategy == SuggestionStrategy.Epistemic ? DefaultMcSamples : 0);

    /// <summary>Checks the settings that do not need the model or the files.</summary>
    /// <exception cref="InputException">A setting out of range, named by its CLI flag.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Strategy)) throw new InputException($"unknown strategy {(int)Strategy}; expected {ActiveLearning.StrategyNames}", field: "--strategy");
        if (K < 1) throw new InputException($"must be at least 1, got {K}", field: "--k");
        if (BatchSize < 1) throw new InputException($"must be at least 1, got {BatchSize}", field: "--batch-size");
        if (UncertaintyOptions.BatchSizeProblem(McBatchSize) is { } batch) throw new InputException(batch, field: "--mc-batch-size");
        if (McSamples is { } n && (n < MinMcSamples || n > MonteCarloDropout.MaxPasses))
            throw new InputException($"must be between {MinMcSamples} and {MonteCarloDropout.MaxPasses} (dropout passes per row), got {n}", field: "--mc-samples");
        if (string.IsNullOrWhiteSpace(TextColumn)) throw new InputException("the text column name is empty", field: "--text-col");
    }
}
