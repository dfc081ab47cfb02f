using System.Diagnostics;
using Classify.Reports.Html;
using SkiaSharp;

namespace Classify.Reports.Tests.Reports;

/// <summary>
/// A fact that needs headless Chromium: skipped with a message when /usr/bin/chromium is missing, unless the
/// environment variable CI is "true" — then it runs and fails, so CI cannot silently lose the check.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ChromiumPath) && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = $"{ChromiumPath} not found (install it with: apt-get install -y chromium). The test runs and fails when CI=true.";
    }
}

public class HeadlessBrowserTests
{
    [ChromiumFact]
    public void ReportRendersInHeadlessChromium_NotBlank_NoFailedRequests()
    {
        Assert.True(File.Exists(ChromiumFactAttribute.ChromiumPath), $"{ChromiumFactAttribute.ChromiumPath} is required when CI=true");
        using var tmp = new TempDirectory("chromium");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 200);
        var report = RunReport.Write(dir).ReportPath;
        var screenshot = Path.Combine(tmp.Path, "screenshot.png");
        var profile = Path.Combine(tmp.Path, "profile");

        var start = new ProcessStartInfo(ChromiumFactAttribute.ChromiumPath)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
                     // Any request that leaves the machine fails and is logged; the report must not make one.
                     "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
                     $"--screenshot={screenshot}", "--window-size=1280,2000", new Uri(report).AbsoluteUri,
                 })
            start.ArgumentList.Add(arg);

        using var chromium = Process.Start(start)!;
        var stderr = chromium.StandardError.ReadToEndAsync();
        var stdout = chromium.StandardOutput.ReadToEndAsync();
        if (!chromium.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            chromium.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 120 s");
        }
        var log = stderr.Result + stdout.Result;

        Assert.True(File.Exists(screenshot), $"no screenshot; chromium said:\n{log}");
        Assert.DoesNotContain("net::ERR_", log);
        Assert.DoesNotContain("Failed to load resource", log);

        using var bitmap = SKBitmap.Decode(screenshot);
        Assert.NotNull(bitmap);
        Assert.Equal(1280, bitmap.Width);
        int nonWhite = 0, colored = 0, samples = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
        for (int x = 0; x < bitmap.Width; x += 2)
        {
            var c = bitmap.GetPixel(x, y);
            samples++;
            if (c.Red < 235 || c.Green < 235 || c.Blue < 235) nonWhite++;
            // Chart colours (blue bars, heatmap cells), not just black text.
            if (Math.Abs(c.Red - c.Blue) > 60) colored++;
        }
        Assert.True(nonWhite > samples / 50, $"screenshot looks blank: {nonWhite} of {samples} sampled pixels are not white");
        Assert.True(colored > samples / 200, $"no chart colours in the screenshot: {colored} of {samples} sampled pixels");
    }
}
