using System.Globalization;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Uncertainty;

namespace Classify.Reports.RunData;

/// <summary>
/// Where the uncertainty columns of a predictions file are (<see cref="UncertaintyColumns.Header"/>): the three
/// per-example columns, then optionally std_&lt;label&gt;, aleatoric_&lt;label&gt; and epistemic_&lt;label&gt; per label.
/// </summary>
internal sealed class UncertaintyLayout
{
    private readonly IReadOnlyList<string> _header;
    private readonly int[] _example;                           // predictive_entropy, aleatoric, epistemic
    private readonly Dictionary<string, List<int>> _perLabel;  // prefix → column indices in file order

    private UncertaintyLayout(IReadOnlyList<string> header, int[] example, Dictionary<string, List<int>> perLabel)
    {
        _header = header;
        _example = example;
        _perLabel = perLabel;
    }

    /// <summary>The layout of columns <paramref name="start"/>… of <paramref name="header"/>, or null when there are none.</summary>
    /// <exception cref="InputException">Uncertainty columns without one of the three per-example columns, or with one twice.</exception>
    public static UncertaintyLayout? Find(IReadOnlyList<string> header, int start, string path)
    {
        if (start >= header.Count) return null;
        var example = new int[UncertaintyColumns.ExampleColumns.Count];
        for (int e = 0; e < example.Length; e++)
        {
            example[e] = -1;
            for (int c = start; c < header.Count; c++)
                if (header[c] == UncertaintyColumns.ExampleColumns[e])
                {
                    if (example[e] >= 0) throw new InputException("duplicate column", path, 1, header[c]);
                    example[e] = c;
                }
            if (example[e] < 0)
                throw new InputException($"uncertainty columns without '{UncertaintyColumns.ExampleColumns[e]}'", path, 1, header[start]);
        }
        var perLabel = UncertaintyColumns.LabelPrefixes.ToDictionary(p => p, _ => new List<int>(), StringComparer.Ordinal);
        for (int c = start; c < header.Count; c++)
            if (Array.IndexOf(example, c) < 0)
                perLabel[UncertaintyColumns.LabelPrefixes.First(p => header[c].StartsWith(p, StringComparison.Ordinal))].Add(c);
        return new UncertaintyLayout(header, example, perLabel);
    }

    /// <summary>One growing list per column read.</summary>
    public List<double>[] NewValues() => Enumerable.Range(0, _header.Count).Select(_ => new List<double>()).ToArray();

    /// <summary>Parses the uncertainty cells of one row.</summary>
    /// <exception cref="InputException">A cell that is not a number.</exception>
    public void Read(DataRecord record, List<double>[] values, string path)
    {
        foreach (int c in _example.Concat(_perLabel.Values.SelectMany(v => v)))
        {
            var cell = record[c]!;
            if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || double.IsNaN(x))
                throw new InputException($"'{cell}' is not a number", path, record.Line, _header[c]);
            values[c].Add(x);
        }
    }

    /// <summary>The table; a per-label block is kept only when it names every label of <paramref name="labels"/> in order.</summary>
    public UncertaintyTable Build(List<double>[] values, IReadOnlyList<string> labels)
    {
        int n = values[_example[0]].Count;
        double[]? Block(string prefix)
        {
            var columns = _perLabel[prefix];
            if (columns.Count != labels.Count || labels.Count == 0) return null;
            for (int k = 0; k < labels.Count; k++) if (_header[columns[k]] != prefix + labels[k]) return null;
            var block = new double[n * labels.Count];
            for (int k = 0; k < labels.Count; k++)
                for (int i = 0; i < n; i++) block[i * labels.Count + k] = values[columns[k]][i];
            return block;
        }
        return new UncertaintyTable(values[_example[0]].ToArray(), values[_example[1]].ToArray(), values[_example[2]].ToArray(),
            Block(UncertaintyColumns.StdPrefix), Block(UncertaintyColumns.AleatoricPrefix), Block(UncertaintyColumns.EpistemicPrefix));
    }
}
