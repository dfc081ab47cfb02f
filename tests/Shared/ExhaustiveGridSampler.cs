using Classify.Tuning.Samplers;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;

// Linked into the test projects that drive studies (Classify.Tuning.Tests, Classify.Cli.Tests).
namespace Classify.Tests.Shared;

/// <summary>
/// A test double for the grid sampler: every point of the space's cartesian product in order (choices, int ranges by
/// step, real ranges by step), each once — a point is free when no trial other than a failed one holds its grid key.
/// Returns null when every point is held. Real ranges without a step are refused (a grid needs finite values).
/// </summary>
internal sealed class ExhaustiveGridSampler : ISampler
{
    public string Name => "grid";

    public TrialProposal? Propose(SearchSpace space, IReadOnlyList<StudyTrial> trials, int trialNumber, StudyDirection direction)
    {
        var held = trials.Where(t => t.State != TrialState.Failed && t.GridKey is not null).Select(t => t.GridKey!).ToHashSet();
        foreach (var point in Points(space))
        {
            var key = ParameterValues.ToJson(point);
            if (!held.Contains(key)) return new TrialProposal(point, key);
        }
        return null;
    }

    private static IEnumerable<IReadOnlyDictionary<string, object?>> Points(SearchSpace space)
    {
        IEnumerable<Dictionary<string, object?>> points = [new Dictionary<string, object?>()];
        foreach (var p in space.Parameters)
        {
            var values = Values(p).ToArray();
            points = points.SelectMany(point => values.Select(v => new Dictionary<string, object?>(point) { [p.Key] = v })).ToArray();
        }
        return points;
    }

    private static IEnumerable<object?> Values(ParameterDistribution p) => p switch
    {
        ChoiceDistribution c => c.Choices,
        IntDistribution i => Enumerable.Range(0, (int)((i.High - i.Low) / i.Step) + 1).Select(k => (object?)(i.Low + k * i.Step)),
        FloatDistribution { Step: { } step } f => Enumerable.Range(0, (int)Math.Round((f.High - f.Low) / step) + 1).Select(k => (object?)(f.Low + k * step)),
        _ => throw new ArgumentException($"{p.Key}: a grid needs choices or stepped ranges"),
    };
}
