using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Randomness;

namespace Classify.Core.Splitting;

/// <summary>
/// Partitions examples into train, validation and test splits, deterministically for a given seed:
/// <list type="bullet">
/// <item>when every example names its split (<see cref="Example.Split"/>), that split is used; a missing validation
/// or test part is carved out of train with the configured fractions;</item>
/// <item>when examples carry a <see cref="Example.Group"/>, whole groups are assigned so no group spans two splits,
/// balancing split sizes and label counts (examples without a group are groups of one);</item>
/// <item>otherwise multi-label data uses iterative stratification and single-label data exact stratification:
/// each class is within one example of its target count in every split.</item>
/// </list>
/// </summary>
public static class DatasetSplitter
{
    /// <summary>Splits <paramref name="examples"/> according to <paramref name="options"/> (default 70/15/15, seed 42).</summary>
    /// <exception cref="InputException">
    /// Duplicate ids, a single-label example without exactly one label, an unknown or partially filled split column,
    /// or too few examples (or groups) to give every split with a positive fraction at least one.
    /// </exception>
    public static DatasetSplit Split(IReadOnlyList<Example> examples, LabelSchema schema, SplitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(schema);
        options ??= new SplitOptions();
        Validate(examples, schema);
        var random = SeededRandom.ForPurpose(options.Seed, "dataset-split");

        int predefined = examples.Count(e => !string.IsNullOrWhiteSpace(e.Split));
        if (options.UsePredefined && predefined > 0)
        {
            if (predefined < examples.Count)
            {
                var missing = examples.First(e => string.IsNullOrWhiteSpace(e.Split));
                throw new InputException(
                    $"The split column is filled for {predefined} of {examples.Count} examples; example '{missing.Id}' has none. " +
                    "Fill it for every row, or remove it to split automatically.", field: "split");
            }
            return SplitPredefined(examples, schema, options.Fractions, random);
        }

        var fractions = options.Fractions.ToArray();
        var part = AssignParts(examples, schema, fractions, random);
        var split = Build(examples, part, Strategy(examples, schema));
        CheckNonEmpty(split, fractions, examples);
        return split;
    }

    /// <summary>
    /// A stratified slice of <paramref name="examples"/> (the tweet workflow's "fast mode", <c>data.sample</c>): the
    /// fraction <paramref name="fraction"/> of them, chosen as the split chooses its parts (single-label: every class
    /// within one example of its share; multi-label: iterative stratification; with groups: whole groups), seeded, in
    /// input order. The same seed and data give the same slice.
    /// </summary>
    public static IReadOnlyList<Example> Sample(IReadOnlyList<Example> examples, LabelSchema schema, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(schema);
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a fraction in (0, 1]");
        if (fraction >= 1) return examples;
        var part = AssignParts(examples, schema, [fraction, 1 - fraction], SeededRandom.ForPurpose(seed, "data-sample"));
        return examples.Where((_, i) => part[i] == 0).ToList();
    }

    /// <summary>
    /// Random oversampling of a single-label training split (<c>data.oversample</c>): each class is topped up, by
    /// drawing its own examples with replacement, to the count of the largest class. Copies follow the originals; the
    /// draw is seeded.
    /// </summary>
    public static IReadOnlyList<Example> Oversample(IReadOnlyList<Example> train, LabelSchema schema, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (schema.IsMultilabel) throw new ArgumentException("random oversampling is single-label only", nameof(schema));
        var byClass = new List<Example>[schema.Count];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = [];
        foreach (var e in train) byClass[e.Label].Add(e);
        int largest = byClass.Max(l => l.Count);
        var random = SeededRandom.ForPurpose(seed, "oversample");
        var result = new List<Example>(train);
        foreach (var members in byClass)
            for (int k = members.Count; k < largest && members.Count > 0; k++) result.Add(members[random.NextInt(members.Count)]);
        return result;
    }

    private static SplitStrategy Strategy(IReadOnlyList<Example> examples, LabelSchema schema) =>
        HasGroups(examples) ? SplitStrategy.Grouped
        : schema.IsMultilabel ? SplitStrategy.IterativeStratified
        : SplitStrategy.Stratified;

    private static DatasetSplit SplitPredefined(IReadOnlyList<Example> examples, LabelSchema schema, SplitFractions fractions, SeededRandom random)
    {
        var train = new List<Example>();
        var val = new List<Example>();
        var test = new List<Example>();
        foreach (var e in examples)
        {
            var list = SplitNames.Normalize(e.Split) switch
            {
                SplitNames.Train => train,
                SplitNames.Val => val,
                SplitNames.Test => test,
                _ => throw new InputException(
                    $"Example '{e.Id}' has split '{e.Split}': expected train, val (or validation, valid, dev) or test.", field: "split"),
            };
            list.Add(e);
        }
        if (train.Count == 0) throw new InputException("The split column names no training example.", field: "split");

        // Carve what is missing out of train, in the proportions the fractions give those parts relative to train.
        bool carveVal = val.Count == 0 && fractions.Val > 0, carveTest = test.Count == 0 && fractions.Test > 0;
        if (carveVal || carveTest)
        {
            double fv = carveVal ? fractions.Val : 0, ft = carveTest ? fractions.Test : 0, share = fractions.Train + fv + ft;
            double[] carve = [fractions.Train / share, fv / share, ft / share];
            var part = AssignParts(train, schema, carve, random);
            var carved = Build(train, part, SplitStrategy.Predefined);
            CheckNonEmpty(carved, carve, train);
            train = [.. carved.Train];
            if (carveVal) val = [.. carved.Val];
            if (carveTest) test = [.. carved.Test];
        }
        return new DatasetSplit(train, val, test, SplitStrategy.Predefined);
    }

    /// <summary>Assigns each example to part 0 (train), 1 (val) or 2 (test).</summary>
    private static int[] AssignParts(IReadOnlyList<Example> examples, LabelSchema schema, double[] fractions, SeededRandom random)
    {
        if (HasGroups(examples)) return GroupAllocation.Assign(examples, schema.Count, fractions, random);
        if (schema.IsMultilabel)
            return IterativeStratification.Assign(examples.Select(e => e.Labels).ToArray(), schema.Count, fractions, random);

        // Exact stratification: per-class counts by controlled rounding, then a shuffled deal within each class.
        var byClass = new List<int>[schema.Count];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = [];
        for (int i = 0; i < examples.Count; i++) byClass[examples[i].Label].Add(i);
        var counts = ControlledRounding.Round(byClass.Select(l => l.Count).ToArray(), fractions, random);
        var part = new int[examples.Count];
        for (int c = 0; c < byClass.Length; c++)
        {
            var members = byClass[c].ToArray();
            random.Shuffle(members.AsSpan());
            int next = 0;
            for (int p = 0; p < fractions.Length; p++)
                for (int j = 0; j < counts[c][p]; j++) part[members[next++]] = p;
        }
        return part;
    }

    private static DatasetSplit Build(IReadOnlyList<Example> examples, int[] part, SplitStrategy strategy)
    {
        var lists = new[] { new List<Example>(), new List<Example>(), new List<Example>() };
        // Data order is kept inside each split, so saved id files read like the data file.
        for (int i = 0; i < examples.Count; i++) lists[part[i]].Add(examples[i]);
        return new DatasetSplit(lists[0], lists[1], lists[2], strategy);
    }

    private static bool HasGroups(IReadOnlyList<Example> examples) => examples.Any(e => !string.IsNullOrEmpty(e.Group));

    private static void Validate(IReadOnlyList<Example> examples, LabelSchema schema)
    {
        if (examples.Count == 0) throw new InputException("There are no examples to split.");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in examples)
        {
            if (!ids.Add(e.Id)) throw new InputException($"Id '{e.Id}' appears more than once; ids must be unique to split and save splits.", field: "id");
            if (!schema.IsMultilabel && e.Labels.Length != 1)
                throw new InputException($"Example '{e.Id}' has {e.Labels.Length} labels; a {schema.Kind.ToName()} task needs exactly one.", field: "label");
            foreach (int l in e.Labels)
                if ((uint)l >= (uint)schema.Count)
                    throw new ArgumentOutOfRangeException(nameof(examples), $"Example '{e.Id}' has label index {l}, outside the schema.");
        }
    }

    private static void CheckNonEmpty(DatasetSplit split, double[] fractions, IReadOnlyList<Example> examples)
    {
        for (int p = 0; p < 3; p++)
        {
            if (fractions[p] <= 0 || split[SplitNames.All[p]].Count > 0) continue;
            string unit = HasGroups(examples)
                ? $"{examples.Select(e => string.IsNullOrEmpty(e.Group) ? "\0" + e.Id : e.Group).Distinct().Count()} groups"
                : $"{examples.Count} examples";
            throw new InputException(
                $"The {SplitNames.All[p]} split would be empty: {unit} are too few for the fractions " +
                $"{string.Join("/", fractions.Select(f => f.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)))}. " +
                "Add data, change the fractions, or give a split column.");
        }
    }
}
