namespace Classify.Reports;

/// <summary>
/// How much of a many-label run the reports draw and list, so that charts, report.html and the model card stay
/// readable and small with thousands of labels. Everything left out is in the per-label CSV files
/// (<c>metrics/&lt;split&gt;_per_class.csv</c>, <c>metrics/&lt;split&gt;_confusion.csv</c>).
/// </summary>
public static class ReportLimits
{
    /// <summary>
    /// The most labels a chart draws individually: the confusion matrix and class distribution show the most frequent
    /// labels plus one "other" row/column or bar; curves, co-occurrence and per-label F1 show a selection (named in the caption).
    /// </summary>
    public const int ChartLabels = 30;

    /// <summary>The most per-label rows a table lists (report.html per-class tables, model card); the rest go to CSV.</summary>
    public const int TableLabels = 50;

    /// <summary>The most label names spelled out in running text (manifest, limitations, decision rule).</summary>
    public const int NamedLabels = 100;

    /// <summary>
    /// The indices of the <paramref name="count"/> labels with the largest <paramref name="weight"/> (ties: lower index
    /// first), in schema order; every label when there are no more than <paramref name="count"/>.
    /// </summary>
    internal static int[] Top(IReadOnlyList<long> weight, int count)
    {
        if (weight.Count <= count) return Enumerable.Range(0, weight.Count).ToArray();
        return Enumerable.Range(0, weight.Count).OrderByDescending(k => weight[k]).ThenBy(k => k).Take(count).Order().ToArray();
    }

    /// <summary>Names joined with commas: all of them up to <see cref="NamedLabels"/>, else the first ones and how many more.</summary>
    internal static string JoinNames(IReadOnlyList<string> names) =>
        names.Count <= NamedLabels
            ? string.Join(", ", names)
            : string.Join(", ", names.Take(NamedLabels)) + $", … ({(names.Count - NamedLabels).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} more)";
}
