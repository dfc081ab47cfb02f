using Microsoft.AspNetCore.Http;

namespace Classify.Server;

/// <summary>
/// The demo page at <c>/</c>: one self-contained HTML file (inline CSS and JavaScript, no external request) embedded in
/// this assembly. A content security policy forbids any other origin.
/// </summary>
internal static class DemoPage
{
    private static readonly Lazy<byte[]> Html = new(() =>
    {
        using var stream = typeof(DemoPage).Assembly.GetManifestResourceStream("Classify.Server.Web.index.html")
                           ?? throw new InvalidOperationException("the demo page is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>The page's bytes (UTF-8).</summary>
    public static byte[] Bytes => Html.Value;

    public static Task Write(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.ContentSecurityPolicy =
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return context.Response.Body.WriteAsync(Bytes, context.RequestAborted).AsTask();
    }
}
