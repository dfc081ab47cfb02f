using System.Globalization;
using System.Net;
using System.Text;

namespace Classify.Reports.Html;

/// <summary>Small helpers for writing self-contained HTML pages: escaping, tables, inline images, the shared style sheet.</summary>
internal static class Html
{
    /// <summary>HTML-escapes text (also quotes, so it is safe inside attributes).</summary>
    public static string Escape(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>An &lt;img&gt; whose PNG bytes are inlined as a data: URI.</summary>
    public static string InlinePng(byte[] png, string alt, int width) =>
        $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" alt=\"{Escape(alt)}\" style=\"max-width:100%;width:{width.ToString(CultureInfo.InvariantCulture)}px\">";

    /// <summary>A number with 4 decimals, or an em dash when missing.</summary>
    public static string Number(double? value, string format = "0.0000") =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "—";

    /// <summary>Writes a table; <paramref name="numericColumns"/> are right-aligned.</summary>
    public static void Table(StringBuilder html, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, ISet<int>? numericColumns = null,
        string? cssClass = null)
    {
        html.Append(cssClass == null ? "<table>" : $"<table class=\"{cssClass}\">");
        html.Append("<thead><tr>");
        for (int c = 0; c < header.Count; c++) html.Append(Cell("th", header[c], numericColumns?.Contains(c) == true));
        html.Append("</tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            for (int c = 0; c < row.Count; c++) html.Append(Cell("td", row[c], numericColumns?.Contains(c) == true));
            html.Append("</tr>\n");
        }
        html.Append("</tbody></table>\n");
    }

    private static string Cell(string tag, string text, bool numeric) =>
        numeric ? $"<{tag} class=\"num\">{Escape(text)}</{tag}>" : $"<{tag}>{Escape(text)}</{tag}>";

    /// <summary>Opens a page: doctype, UTF-8, title, the inline style sheet and no external resource of any kind.</summary>
    public static void BeginPage(StringBuilder html, string title)
    {
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Escape(title)).Append("</title>\n<style>\n").Append(StyleSheet).Append("</style>\n</head>\n<body>\n");
    }

    /// <summary>Closes a page.</summary>
    public static void EndPage(StringBuilder html) => html.Append("</body>\n</html>\n");

    internal const string StyleSheet = """
        body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; margin: 0 auto; max-width: 1200px;
               padding: 24px 32px 64px; color: #1f2328; background: #fff; line-height: 1.45; }
        h1 { font-size: 1.8em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.25em; margin-top: 2em; }
        h3 { margin-top: 1.5em; }
        .subtitle { color: #59636e; margin-top: 0; }
        nav a { margin-right: 1em; color: #0969da; text-decoration: none; }
        table { border-collapse: collapse; margin: 0.75em 0 1.25em; font-size: 0.92em; }
        th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; vertical-align: top; }
        thead th { background: #f6f8fa; position: sticky; top: 0; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr:nth-child(even) td { background: #fafbfc; }
        table.kv th { background: #f6f8fa; width: 14em; }
        table.errors td:first-child { max-width: 560px; white-space: pre-wrap; word-break: break-word; }
        figure { margin: 1.5em 0; } figcaption { color: #59636e; font-size: 0.92em; max-width: 900px; }
        pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 12px; overflow-x: auto; font-size: 0.85em; }
        .status-completed { color: #1a7f37; font-weight: 600; } .status-failed { color: #cf222e; font-weight: 600; }
        .status-running { color: #9a6700; font-weight: 600; } .status-interrupted { color: #bc4c00; font-weight: 600; }
        .status-cancelled, .status-overwritten { color: #59636e; font-weight: 600; }
        .best { font-weight: 600; }
        """;
}
