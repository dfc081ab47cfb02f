using ScottPlot;
using SkiaSharp;

namespace Classify.Reports.Charts;

/// <summary>
/// The numbers written in heatmap cells, drawn as one plottable with one font. A 28 × 28 matrix needs 784
/// labels; one <see cref="ScottPlot.Plottables.Text"/> each costs far more (measuring, backgrounds, SVG output).
/// </summary>
internal sealed class CellLabels : IPlottable
{
    private readonly List<(double X, double Y, string Text, Color Color)> _labels = [];

    /// <summary>Creates an empty set of labels drawn at <paramref name="fontSize"/> pixels.</summary>
    public CellLabels(float fontSize) => FontSize = fontSize;

    /// <summary>Font size in pixels.</summary>
    public float FontSize { get; }

    /// <summary>Adds a label centred on (x, y) in axis coordinates.</summary>
    public void Add(double x, double y, string text, Color color) => _labels.Add((x, y, text, color));

    /// <inheritdoc />
    public bool IsVisible { get; set; } = true;

    /// <inheritdoc />
    public IAxes Axes { get; set; } = new Axes();

    /// <inheritdoc />
    public IEnumerable<LegendItem> LegendItems => LegendItem.None;

    /// <inheritdoc />
    public AxisLimits GetAxisLimits() => AxisLimits.NoLimits;

    /// <inheritdoc />
    public void Render(RenderPack rp)
    {
        using var typeface = SKTypeface.FromFamilyName(ChartKit.FontName) ?? SKTypeface.Default;
        using var font = new SKFont(typeface, FontSize) { Subpixel = true, Edging = SKFontEdging.Antialias };
        using var paint = new SKPaint { IsAntialias = true };
        // Baseline offset that centres digits vertically on the point.
        float baseline = -(font.Metrics.Ascent + font.Metrics.Descent) / 2;
        foreach (var (x, y, text, color) in _labels)
        {
            var pixel = Axes.GetPixel(new Coordinates(x, y));
            paint.Color = color.ToSKColor();
            rp.Canvas.DrawText(text, pixel.X, pixel.Y + baseline, SKTextAlign.Center, font, paint);
        }
    }
}
