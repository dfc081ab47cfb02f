namespace Classify.Reports.Charts;

/// <summary>A chart written to disk as PNG and SVG.</summary>
/// <param name="Name">File stem, e.g. <c>confusion_matrix_test</c>.</param>
/// <param name="Title">Human-readable title.</param>
/// <param name="Caption">One or two sentences saying how to read the chart.</param>
/// <param name="PngPath">Full path of the PNG file.</param>
/// <param name="SvgPath">Full path of the SVG file.</param>
public sealed record ChartFile(string Name, string Title, string Caption, string PngPath, string SvgPath);

/// <summary>A chart rendered in memory: PNG bytes and SVG text of the same picture.</summary>
internal sealed record RenderedChart(string Name, string Title, string Caption, byte[] Png, string Svg, int Width, int Height)
{
    /// <summary>Writes <c>&lt;Name&gt;.png</c> and <c>&lt;Name&gt;.svg</c> atomically into <paramref name="directory"/>.</summary>
    public ChartFile Save(string directory)
    {
        var png = Path.Combine(directory, Name + ".png");
        var svg = Path.Combine(directory, Name + ".svg");
        Classify.Core.IO.AtomicFile.WriteAllBytes(png, Png);
        Classify.Core.IO.AtomicFile.WriteAllText(svg, Svg);
        return new ChartFile(Name, Title, Caption, Path.GetFullPath(png), Path.GetFullPath(svg));
    }
}
