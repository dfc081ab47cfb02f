using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ScottPlot;

namespace Classify.Reports.Charts;

/// <summary>
/// Shared look and rendering for every chart: one font, one palette, category ticks that stay readable from
/// 2 to 30+ labels, and PNG+SVG rendering of single plots and of grids of plots.
/// </summary>
internal static partial class ChartKit
{
    /// <summary>Title font size (px).</summary>
    public const float TitleSize = 17;
    /// <summary>Axis label font size (px).</summary>
    public const float AxisLabelSize = 14;
    /// <summary>Tick label font size for few categories (px).</summary>
    public const float TickSize = 12;

    /// <summary>A sans-serif font that exists on this machine (ScottPlot's default may fall back to a serif face).</summary>
    public static readonly string FontName = PickFont();

    private static string PickFont()
    {
        var installed = SkiaSharp.SKFontManager.Default.GetFontFamilies().ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var name in new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "Segoe UI" })
            if (installed.Contains(name)) return name;
        return Fonts.Default;
    }

    /// <summary>A new plot with the house style: white background, sans font, readable sizes.</summary>
    public static Plot NewPlot(string title, string? xLabel = null, string? yLabel = null)
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.Title(title, TitleSize);
        if (xLabel != null) plot.XLabel(xLabel, AxisLabelSize);
        if (yLabel != null) plot.YLabel(yLabel, AxisLabelSize);
        plot.Axes.Bottom.TickLabelStyle.FontSize = TickSize;
        plot.Axes.Left.TickLabelStyle.FontSize = TickSize;
        plot.Legend.FontSize = 12;
        plot.Legend.FontName = FontName;
        return plot;
    }

    /// <summary>Distinct colours for <paramref name="count"/> series: Category10 up to 10, Category20 beyond.</summary>
    public static Color SeriesColor(int index, int count)
    {
        IPalette palette = count <= 10 ? new ScottPlot.Palettes.Category10() : new ScottPlot.Palettes.Category20();
        return palette.GetColor(index);
    }

    /// <summary>Past the palette's length, series repeat colours with a dashed line so they stay distinguishable.</summary>
    public static LinePattern SeriesPattern(int index, int count) =>
        index < (count <= 10 ? 10 : 20) ? LinePattern.Solid : LinePattern.Dashed;

    /// <summary>Tick label size for <paramref name="count"/> categories.</summary>
    public static float CategoryTickSize(int count) => count <= 10 ? TickSize : count <= 20 ? 11 : 10;

    /// <summary>
    /// Puts category names on an axis at positions 0..n-1 (or the given ones). Names on the bottom axis are
    /// rotated when they would not fit side by side, and the axis reserves room for them.
    /// </summary>
    public static void CategoryTicks(IAxis axis, IReadOnlyList<string> names, double[]? positions = null, float pixelsPerCategory = 0)
    {
        positions ??= Enumerable.Range(0, names.Count).Select(i => (double)i).ToArray();
        axis.SetTicks(positions, names.Select(n => Shorten(n, 28)).ToArray());
        float size = CategoryTickSize(names.Count);
        axis.TickLabelStyle.FontSize = size;
        axis.MajorTickStyle.Length = 4;
        axis.MinorTickStyle.Length = 0;
        int longest = names.Count == 0 ? 0 : names.Max(n => Math.Min(n.Length, 28));
        float textWidth = longest * size * 0.62f;
        if (axis is ScottPlot.AxisPanels.BottomAxis bottom)
        {
            bool rotate = pixelsPerCategory <= 0 ? names.Count > 6 || textWidth > 70 : textWidth > pixelsPerCategory * 0.9f;
            if (rotate)
            {
                bottom.TickLabelStyle.Rotation = -90;
                bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
                bottom.MinimumSize = textWidth + 34;
            }
        }
        else if (axis is ScottPlot.AxisPanels.LeftAxis left)
        {
            left.MinimumSize = textWidth + 34;
        }
    }

    /// <summary>Cuts long names with an ellipsis so one label cannot eat the plot.</summary>
    public static string Shorten(string name, int max) => name.Length <= max ? name : name[..(max - 1)] + "…";

    /// <summary>Invariant-culture number for chart text.</summary>
    public static string Num(double v, string format = "0.00") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Renders one plot to PNG and SVG.</summary>
    public static RenderedChart Render(Plot plot, int width, int height, string name, string title, string caption)
    {
        byte[] png;
        using (var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width, height)))
        {
            plot.Render(surface);
            png = EncodePng(surface);
        }
        var svg = plot.GetSvgXml(width, height);
        return new RenderedChart(name, title, caption, png, svg, width, height);
    }

    /// <summary>
    /// Renders plots in a rows × columns grid: PNG through a ScottPlot <see cref="Multiplot"/>, SVG by nesting
    /// each plot's SVG (ids prefixed per cell so clip paths do not collide).
    /// </summary>
    public static RenderedChart RenderGrid(IReadOnlyList<Plot> plots, int rows, int columns, int width, int height,
        string name, string title, string caption)
    {
        // A new Multiplot starts with one empty plot: replace it with the first panel.
        var multiplot = new Multiplot(plots[0]);
        foreach (var p in plots.Skip(1)) multiplot.AddPlot(p);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        byte[] png;
        using (var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width, height)))
        {
            multiplot.Render(surface);
            png = EncodePng(surface);
        }

        int cellWidth = width / columns, cellHeight = height / rows;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect fill=\"white\" width=\"{width}\" height=\"{height}\"/>\n");
        for (int i = 0; i < plots.Count; i++)
        {
            int x = i % columns * cellWidth, y = i / columns * cellHeight;
            var inner = plots[i].GetSvgXml(cellWidth, cellHeight);
            inner = XmlDeclaration().Replace(inner, "");
            inner = PrefixIds(inner, $"g{i}_");
            // Position the nested <svg> root inside the grid.
            inner = SvgRoot().Replace(inner, m => m.Value.Insert(4, string.Create(CultureInfo.InvariantCulture, $" x=\"{x}\" y=\"{y}\"")), 1);
            svg.Append(inner).Append('\n');
        }
        svg.Append("</svg>\n");
        return new RenderedChart(name, title, caption, png, svg.ToString(), width, height);
    }

    /// <summary>
    /// PNG with the "sub" row filter and zlib level 3: about five times faster than Skia's default (all filters,
    /// level 6) for charts, at a modestly larger file.
    /// </summary>
    private static byte[] EncodePng(SkiaSharp.SKSurface surface)
    {
        using var pixels = surface.PeekPixels();
        using var data = pixels.Encode(new SkiaSharp.SKPngEncoderOptions(SkiaSharp.SKPngEncoderFilterFlags.Sub, 3))
                         ?? throw new InvalidOperationException("Skia could not encode the chart as PNG.");
        return data.ToArray();
    }

    /// <summary>A plot holding only a centred message, for a grid cell whose data is missing.</summary>
    public static Plot MessagePlot(string title, string message)
    {
        var plot = NewPlot(title);
        plot.HideAxesAndGrid();
        var text = plot.Add.Text(message, 0, 0);
        text.LabelFontSize = 14;
        text.LabelFontName = FontName;
        text.LabelAlignment = Alignment.MiddleCenter;
        text.LabelFontColor = Colors.Gray;
        plot.Axes.SetLimits(-1, 1, -1, 1);
        return plot;
    }

    private static string PrefixIds(string svg, string prefix)
    {
        svg = IdAttribute().Replace(svg, m => $"id=\"{prefix}{m.Groups[1].Value}\"");
        svg = UrlReference().Replace(svg, m => $"url(#{prefix}{m.Groups[1].Value})");
        return HrefReference().Replace(svg, m => $"{m.Groups[1].Value}=\"#{prefix}{m.Groups[2].Value}\"");
    }

    [GeneratedRegex(@"<\?xml[^>]*\?>\s*")] private static partial Regex XmlDeclaration();
    [GeneratedRegex(@"<svg\b")] private static partial Regex SvgRoot();
    [GeneratedRegex("id=\"([^\"]+)\"")] private static partial Regex IdAttribute();
    [GeneratedRegex(@"url\(#([^)]+)\)")] private static partial Regex UrlReference();
    [GeneratedRegex("((?:xlink:)?href)=\"#([^\"]+)\"")] private static partial Regex HrefReference();
}
