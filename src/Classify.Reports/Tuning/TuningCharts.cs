using System.Text;
using Classify.Reports.Charts;
using Classify.Tuning.Space;
using Classify.Tuning.Study;
using Classify.Tuning.Trials;
using ScottPlot;

namespace Classify.Reports.Tuning;

/// <summary>
/// The charts of a tuning run folder (PNG and SVG in <c>plots/</c>), from its snapshot alone:
/// <list type="bullet">
/// <item><c>optimization_history</c>: every trial's value by trial number, and the best so far;</item>
/// <item><c>slice_&lt;key&gt;</c>: one per parameter, the value against the parameter (log scale where the space is);</item>
/// <item><c>parallel_coordinates</c>: each complete trial as a line across the parameters and the value, coloured by value;</item>
/// <item><c>parameter_importances</c>: <see cref="ParameterImportance"/>'s shares, when there were enough trials.</item>
/// </list>
/// </summary>
public sealed class TuningCharts : ITuningArtifactWriter
{
    /// <summary>The charts written by the last <see cref="Write"/>.</summary>
    public IReadOnlyList<ChartFile> Charts { get; private set; } = [];

    /// <inheritdoc />
    public void Write(TuningLayout layout, TuningSnapshot snapshot, Action<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(snapshot);
        var rendered = new List<RenderedChart>();
        var scored = snapshot.Trials.Where(t => t.State is TrialState.Complete or TrialState.Pruned && t.Value is { } v && double.IsFinite(v)).ToArray();
        if (scored.Length == 0)
        {
            log?.Invoke("tuning charts: no trial has a value yet");
            Charts = [];
            return;
        }
        rendered.Add(History(snapshot, scored));
        foreach (var parameter in snapshot.Settings.Space.Parameters)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rendered.Add(Slice(snapshot, parameter, scored));
        }
        var complete = scored.Where(t => t.State == TrialState.Complete).ToArray();
        if (complete.Length >= 2) rendered.Add(ParallelCoordinates(snapshot, complete));
        if (snapshot.Importances.Count > 0) rendered.Add(Importances(snapshot));
        Charts = rendered.Select(c => c.Save(layout.PlotsDirectory)).ToArray();
        log?.Invoke($"tuning charts: {Charts.Count} in {layout.PlotsDirectory}");
    }

    /// <summary>The file stem of a parameter's slice chart: <c>slice_</c> and the key with anything but letters, digits, '-' and '_' as '_'.</summary>
    public static string SliceName(string key) =>
        "slice_" + new string(key.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());

    private static string ValueLabel(TuningSnapshot s) => $"{s.Settings.Metric} ({s.Study.Definition.Metric.Split('@').Last()})";

    private static RenderedChart History(TuningSnapshot snapshot, StudyTrial[] scored)
    {
        var plot = ChartKit.NewPlot($"Optimisation history: {snapshot.Study.Definition.Name}", "Trial", ValueLabel(snapshot));
        foreach (var (state, color) in new[] { (TrialState.Complete, ChartKit.SeriesColor(0, 10)), (TrialState.Pruned, Colors.Gray) })
        {
            var points = scored.Where(t => t.State == state).ToArray();
            if (points.Length == 0) continue;
            var dots = plot.Add.ScatterPoints(points.Select(t => (double)t.Number).ToArray(), points.Select(t => t.Value!.Value).ToArray());
            dots.Color = color.WithAlpha(state == TrialState.Complete ? 0.85 : 0.6);
            dots.MarkerSize = 7;
            dots.LegendText = $"{state.ToString().ToLowerInvariant()} (n={points.Length})";
        }
        var complete = scored.Where(t => t.State == TrialState.Complete).OrderBy(t => t.Number).ToArray();
        if (complete.Length > 0)
        {
            bool maximize = snapshot.Study.Definition.Direction == StudyDirection.Maximize;
            var xs = new List<double>();
            var ys = new List<double>();
            double best = complete[0].Value!.Value;
            foreach (var t in complete)
            {
                best = maximize ? Math.Max(best, t.Value!.Value) : Math.Min(best, t.Value!.Value);
                xs.Add(t.Number);
                ys.Add(best);
            }
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.Color = ChartKit.SeriesColor(3, 10);
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = "best so far";
        }
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = snapshot.Study.Definition.Direction == StudyDirection.Maximize ? Alignment.LowerRight : Alignment.UpperRight;
        return ChartKit.Render(plot, 860, 480, "optimization_history", "Optimisation history",
            "Each trial's value in the order the trials were created (pruned trials at their last intermediate value, in grey); the line is the best " +
            "complete trial so far. A line that stops rising early means later trials found nothing better.");
    }

    private static RenderedChart Slice(TuningSnapshot snapshot, ParameterDistribution parameter, StudyTrial[] scored)
    {
        bool log = parameter is FloatDistribution { Log: true } or IntDistribution { Log: true };
        var plot = ChartKit.NewPlot($"{parameter.Key}", log ? $"log10({parameter.Key})" : parameter.Key, ValueLabel(snapshot));
        var withValue = scored.Where(t => t.Parameters.ContainsKey(parameter.Key)).ToArray();
        double X(StudyTrial t) => parameter switch
        {
            ChoiceDistribution c => c.IndexOf(t.Parameters[parameter.Key]),
            _ when log => Math.Log10(Convert.ToDouble(t.Parameters[parameter.Key], System.Globalization.CultureInfo.InvariantCulture)),
            _ => Convert.ToDouble(t.Parameters[parameter.Key], System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (state, color) in new[] { (TrialState.Complete, ChartKit.SeriesColor(0, 10)), (TrialState.Pruned, Colors.Gray) })
        {
            var points = withValue.Where(t => t.State == state).ToArray();
            if (points.Length == 0) continue;
            var dots = plot.Add.ScatterPoints(points.Select(X).ToArray(), points.Select(t => t.Value!.Value).ToArray());
            dots.Color = color.WithAlpha(0.75);
            dots.MarkerSize = 7;
            dots.LegendText = state.ToString().ToLowerInvariant();
        }
        if (parameter is ChoiceDistribution choice)
        {
            ChartKit.CategoryTicks(plot.Axes.Bottom, choice.Choices.Select(v => TuningOutputs.ValueText(v) ?? "null").ToList());
            plot.Axes.SetLimitsX(-0.5, choice.Choices.Count - 0.5);
        }
        plot.Legend.IsVisible = withValue.Any(t => t.State == TrialState.Pruned);
        return ChartKit.Render(plot, 640, 440, SliceName(parameter.Key), $"Slice: {parameter.Key}",
            $"The value of each trial against {parameter.Key}{(log ? " (log scale)" : "")}, whatever the other parameters were: a clear trend says this " +
            "parameter matters; a flat cloud says it does not (or that the others dominate).");
    }

    private static RenderedChart ParallelCoordinates(TuningSnapshot snapshot, StudyTrial[] complete)
    {
        var parameters = snapshot.Settings.Space.Parameters;
        int axes = parameters.Count + 1;
        var plot = ChartKit.NewPlot($"Parallel coordinates: {snapshot.Study.Definition.Name}");
        // Every axis is scaled to [0, 1] over the trials' range; a choice axis spreads its options evenly.
        double[] Column(int j) => j == parameters.Count
            ? complete.Select(t => t.Value!.Value).ToArray()
            : complete.Select(t => ParameterImportance.Encode(parameters[j], t.Parameters.GetValueOrDefault(parameters[j].Key))).ToArray();
        var columns = Enumerable.Range(0, axes).Select(Column).ToArray();
        var ranges = columns.Select(c => (Min: c.Min(), Max: c.Max())).ToArray();
        double Scale(int j, double v) => ranges[j].Max > ranges[j].Min ? (v - ranges[j].Min) / (ranges[j].Max - ranges[j].Min) : 0.5;
        var colormap = new ScottPlot.Colormaps.Viridis();
        var order = Enumerable.Range(0, complete.Length).OrderBy(i => columns[^1][i]).ToArray();   // best drawn last, on top
        if (snapshot.Study.Definition.Direction == StudyDirection.Minimize) Array.Reverse(order);
        foreach (int i in order)
        {
            var ys = Enumerable.Range(0, axes).Select(j => Scale(j, columns[j][i])).ToArray();
            var line = plot.Add.Scatter(Enumerable.Range(0, axes).Select(j => (double)j).ToArray(), ys);
            double shade = Scale(axes - 1, columns[^1][i]);
            line.Color = colormap.GetColor(snapshot.Study.Definition.Direction == StudyDirection.Maximize ? shade : 1 - shade).WithAlpha(0.8);
            line.LineWidth = 1.5f;
            line.MarkerSize = 0;
        }
        for (int j = 0; j < axes; j++)
        {
            var axis = plot.Add.VerticalLine(j);
            axis.Color = Colors.Black.WithAlpha(0.5);
            axis.LineWidth = 1;
            foreach (var (y, text) in new[] { (0.0, AxisEnd(parameters, j, ranges[j].Min)), (1.0, AxisEnd(parameters, j, ranges[j].Max)) })
            {
                var label = plot.Add.Text(text, j, y);
                label.LabelFontSize = 10;
                label.LabelFontName = ChartKit.FontName;
                label.LabelAlignment = y == 0 ? Alignment.UpperCenter : Alignment.LowerCenter;
            }
        }
        int width = Math.Max(720, 170 * axes);
        ChartKit.CategoryTicks(plot.Axes.Bottom, [.. AxisNames(parameters), ValueLabel(snapshot)], pixelsPerCategory: width / (float)axes);
        plot.Axes.SetLimits(-0.3, axes - 0.7, -0.15, 1.15);
        plot.Axes.Left.TickLabelStyle.IsVisible = false;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Left.MinorTickStyle.Length = 0;
        plot.HideGrid();
        return ChartKit.Render(plot, width, 520, "parallel_coordinates", "Parallel coordinates",
            "Each complete trial is a line through its parameter values and its objective (right-most axis), every axis scaled to the trials' range " +
            "(log scale where the space is; choices by position); brighter lines are better trials. Where the bright lines gather is where the good configurations are.");
    }

    // Axis names: each key's last segment (C, min_df), or the whole key where two parameters share a last segment.
    private static List<string> AxisNames(IReadOnlyList<ParameterDistribution> parameters)
    {
        static string Last(string key) => key[(key.LastIndexOf('.') + 1)..];
        var counts = parameters.GroupBy(p => Last(p.Key)).ToDictionary(g => g.Key, g => g.Count());
        return parameters.Select(p => counts[Last(p.Key)] == 1 ? Last(p.Key) : p.Key).ToList();
    }

    // The text at the end of an axis: the range's end (a choice's value, a log axis back on its own scale).
    private static string AxisEnd(IReadOnlyList<ParameterDistribution> parameters, int j, double encoded)
    {
        if (j == parameters.Count) return ChartKit.Num(encoded, "0.####");
        return parameters[j] switch
        {
            ChoiceDistribution c => ChartKit.Shorten(TuningOutputs.ValueText(c.Choices[(int)Math.Round(encoded)]) ?? "null", 16),
            IntDistribution { Log: true } or FloatDistribution { Log: true } => ChartKit.Num(Math.Exp(encoded), "0.###e+0"),
            _ => ChartKit.Num(encoded, "0.####"),
        };
    }

    private static RenderedChart Importances(TuningSnapshot snapshot)
    {
        var values = snapshot.Importances;
        var plot = BarChart.SortedHorizontal("Parameter importances", "Share of importance", values.Select(v => v.Key).ToList(),
            values.Select(v => v.Importance).ToList(), Math.Max(0.05, values.Max(v => v.Importance)));
        return ChartKit.Render(plot, 860, BarChart.HorizontalHeight(values.Count), "parameter_importances", "Parameter importances",
            new StringBuilder("How much each parameter explains the objective: ").Append(ParameterImportance.Method)
                .Append(". Shares sum to 1; with few trials they are rough.").ToString());
    }
}
