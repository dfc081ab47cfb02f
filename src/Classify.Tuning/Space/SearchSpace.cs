namespace Classify.Tuning.Space;

/// <summary>The parameters a study searches, in the order given in the config (the grid's and the outputs' order).</summary>
public sealed class SearchSpace
{
    /// <summary>A space over the given parameters; keys must be distinct.</summary>
    public SearchSpace(IReadOnlyList<ParameterDistribution> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
            if (!seen.Add(p.Key)) throw new ArgumentException($"parameter '{p.Key}' appears twice in the search space", nameof(parameters));
        Parameters = parameters;
    }

    /// <summary>The parameters, in config order.</summary>
    public IReadOnlyList<ParameterDistribution> Parameters { get; }
}
