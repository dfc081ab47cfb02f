using Classify.Reports.RunData;

namespace Classify.Reports.Charts;

/// <summary>The training-curves figure of a log.jsonl on its own, for outputs that are not run folders (<c>classify pretrain</c>).</summary>
public static class TrainingCurves
{
    /// <summary>
    /// Writes <c>training_curves.png</c> and <c>.svg</c> into <paramref name="directory"/> from <paramref name="logJsonl"/>
    /// (loss and validation loss, learning rate, any other eval_* series such as <c>eval_perplexity</c>); null when the
    /// log has nothing to draw.
    /// </summary>
    public static ChartFile? Write(string logJsonl, string directory)
    {
        ArgumentNullException.ThrowIfNull(logJsonl);
        ArgumentNullException.ThrowIfNull(directory);
        if (!File.Exists(logJsonl)) return null;
        var panels = LineCharts.TrainingPanels(TrainingLog.Load(logJsonl));
        if (panels.Count == 0) return null;
        return ChartKit.RenderGrid(panels, panels.Count, 1, 1000, 330 * panels.Count, "training_curves", "Training curves",
            "From log.jsonl: training and held-out loss, the learning-rate schedule and the other evaluation series against the optimiser step.")
            .Save(directory);
    }
}
