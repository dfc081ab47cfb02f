using Classify.Core.IO;
using Classify.Core.Metrics;

namespace Classify.Reports.RunData;

/// <summary>Per-class tables of many-label runs: which rows a table lists, and the CSV with all of them.</summary>
internal static class PerClassTable
{
    /// <summary>
    /// The per-class rows a table lists (report.html, model card): all of them up to <see cref="ReportLimits.TableLabels"/>, else the labels with
    /// the most gold examples (ties: file order), in file order.
    /// </summary>
    public static IReadOnlyList<ClassMetrics> Listed(IReadOnlyList<ClassMetrics> perClass)
    {
        var keep = ReportLimits.Top(perClass.Select(c => c.Support).ToArray(), ReportLimits.TableLabels);
        return keep.Length == perClass.Count ? perClass : keep.Select(i => perClass[i]).ToList();
    }

    /// <summary>Every per-class row of a split: the columns of metrics/&lt;split&gt;_per_class.csv.</summary>
    public static void WriteCsv(string path, IReadOnlyList<ClassMetrics> perClass) => AtomicFile.WriteText(path, w =>
    {
        var csv = new CsvWriter(w);
        csv.WriteRow(MetricReport.PerClassCsvColumns);
        foreach (var c in perClass) csv.WriteValues(c.Label, c.Precision, c.Recall, c.F1, c.Support, c.RocAuc, c.PrAuc);
    });
}
