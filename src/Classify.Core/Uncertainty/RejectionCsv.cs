using System.Globalization;
using Classify.Core.Data;
using Classify.Core.IO;

namespace Classify.Core.Uncertainty;

/// <summary>
/// <c>metrics/rejection_&lt;split&gt;.csv</c>: the rejection curves of a split, one row per (unit, ranker, rejected
/// fraction). Columns: <c>unit</c>, <c>ranker</c>, <c>rejected_fraction</c>, <c>coverage</c>, <c>kept</c>, one column per
/// metric (the union over the sets, in first-seen order; empty where a set does not compute it), then <c>aurc</c>
/// (the curve's AURC, repeated on each of its rows). RFC 4180, UTF-8, invariant culture, round-trip precision.
/// </summary>
public static class RejectionCsv
{
    /// <summary>The columns before the metric columns.</summary>
    public static readonly IReadOnlyList<string> LeadingColumns = ["unit", "ranker", "rejected_fraction", "coverage", "kept"];

    /// <summary>The last column.</summary>
    public const string AurcColumn = "aurc";

    /// <summary>The file name of a split's curves in the metrics folder: <c>rejection_&lt;split&gt;.csv</c>.</summary>
    public static string FileName(string split)
    {
        ArgumentException.ThrowIfNullOrEmpty(split);
        return $"rejection_{split}.csv";
    }

    /// <summary>Writes the curve sets atomically (the file appears whole or not at all).</summary>
    /// <exception cref="ArgumentException">No set, or two sets of the same unit.</exception>
    public static void Write(string path, IReadOnlyList<RejectionCurveSet> sets)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(sets);
        if (sets.Count == 0) throw new ArgumentException("No rejection curves to write.", nameof(sets));
        if (sets.Select(s => s.Unit).Distinct().Count() != sets.Count)
            throw new ArgumentException("Two curve sets of the same unit; a file holds one per unit.", nameof(sets));
        var metricNames = sets.SelectMany(s => s.MetricNames).Distinct(StringComparer.Ordinal).ToArray();
        AtomicFile.WriteText(path, w =>
        {
            var csv = new CsvWriter(w);
            csv.WriteRow([.. LeadingColumns, .. metricNames, AurcColumn]);
            var row = new object?[LeadingColumns.Count + metricNames.Length + 1];
            foreach (var set in sets)
                foreach (var curve in set.Curves)
                    foreach (var point in curve.Points)
                    {
                        row[0] = set.Unit.ToName();
                        row[1] = curve.Ranker.ToName();
                        row[2] = point.RejectedFraction;
                        row[3] = point.Coverage;
                        row[4] = point.Kept;
                        for (int m = 0; m < metricNames.Length; m++)
                        {
                            int at = IndexOf(set.MetricNames, metricNames[m]);
                            row[LeadingColumns.Count + m] = at >= 0 ? point.Metrics[at] : null;
                        }
                        row[^1] = curve.Aurc;
                        csv.WriteValues(row);
                    }
        });
    }

    /// <summary>Reads a file written by <see cref="Write"/>: the sets and curves in file order.</summary>
    /// <exception cref="InputException">Missing file, unexpected columns, an unknown unit or ranker, a value that is not a number, or a curve whose AURC changes between rows (the message names the line and column).</exception>
    public static IReadOnlyList<RejectionCurveSet> Read(string path)
    {
        var table = CsvTable.Read(path);
        var header = table.Header;
        int metricCount = header.Count - LeadingColumns.Count - 1;
        for (int c = 0; c < LeadingColumns.Count; c++)
            if (header.Count <= c || header[c] != LeadingColumns[c])
                throw new InputException($"column {c + 1} should be '{LeadingColumns[c]}'", path, 1, header.Count > c ? header[c] : LeadingColumns[c]);
        if (metricCount < 1 || header[^1] != AurcColumn)
            throw new InputException($"expected metric columns after '{LeadingColumns[^1]}', then '{AurcColumn}' last", path, 1);
        var metricNames = Enumerable.Range(LeadingColumns.Count, metricCount).Select(c => header[c]).ToArray();

        var units = new List<(RejectionUnit Unit, List<(RejectionRanker Ranker, double Aurc, List<RejectionPoint> Points)> Curves, bool[] HasMetric)>();
        foreach (var record in table.Rows)
        {
            string Cell(int c) => record[c]!;
            var unit = RejectionNames.ParseUnit(Cell(0))
                ?? throw new InputException($"unknown unit '{Cell(0)}' (example or decision)", path, record.Line, header[0]);
            var ranker = RejectionNames.ParseRanker(Cell(1))
                ?? throw new InputException($"unknown ranker '{Cell(1)}' ({string.Join(", ", RejectionCurves.Rankers.Select(r => r.ToName()))})", path, record.Line, header[1]);
            double Number(int c) => double.TryParse(Cell(c), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && !double.IsNaN(x)
                ? x : throw new InputException($"'{Cell(c)}' is not a number", path, record.Line, header[c]);

            int u = units.FindIndex(x => x.Unit == unit);
            if (u < 0)
            {
                // The first row of a unit decides which metrics it has: the ones with a value.
                units.Add((unit, [], Enumerable.Range(0, metricCount).Select(m => Cell(LeadingColumns.Count + m).Length > 0).ToArray()));
                u = units.Count - 1;
            }
            var (_, curves, hasMetric) = units[u];
            var metrics = new List<double>();
            for (int m = 0; m < metricCount; m++)
            {
                int c = LeadingColumns.Count + m;
                if (hasMetric[m]) metrics.Add(Number(c));
                else if (Cell(c).Length > 0)
                    throw new InputException($"a value where the {unit.ToName()} curves have none", path, record.Line, header[c]);
            }
            if (!int.TryParse(Cell(4), NumberStyles.None, CultureInfo.InvariantCulture, out int kept))
                throw new InputException($"'{Cell(4)}' is not a count", path, record.Line, header[4]);
            double aurc = Number(header.Count - 1);
            int r = curves.FindIndex(x => x.Ranker == ranker);
            if (r < 0) curves.Add((ranker, aurc, []));
            else if (curves[r].Aurc != aurc)
                throw new InputException($"the {ranker.ToName()} curve has AURC {Cell(header.Count - 1)} here and {curves[r].Aurc.ToString("R", CultureInfo.InvariantCulture)} before", path, record.Line, AurcColumn);
            curves[r < 0 ? curves.Count - 1 : r].Points.Add(new RejectionPoint(Number(2), Number(3), kept, metrics));
        }
        return units.Select(x => new RejectionCurveSet(
            x.Unit,
            metricNames.Where((_, m) => x.HasMetric[m]).ToArray(),
            x.Curves.Select(c => new RejectionCurve(c.Ranker, c.Points, c.Aurc)).ToArray())).ToArray();
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == name) return i;
        return -1;
    }
}
