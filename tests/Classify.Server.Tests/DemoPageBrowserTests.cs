using Microsoft.Playwright;

namespace Classify.Server.Tests;

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
            Skip = $"{ChromiumPath} not found (install it with: apt-get install -y chromium; Playwright cannot download its own browser here). The test runs and fails when CI=true.";
    }
}

/// <summary>The demo page at / in real headless Chromium (Playwright driving the system browser): type, click, bars.</summary>
public class DemoPageBrowserTests
{
    private static async Task<(IPlaywright, IBrowser)> LaunchAsync()
    {
        Assert.True(File.Exists(ChromiumFactAttribute.ChromiumPath), $"{ChromiumFactAttribute.ChromiumPath} is required when CI=true");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        });
        return (playwright, browser);
    }

    private static async Task<(string Screenshot, List<string> Outside)> ClassifyInPage(RunningServer host, string? apiKey, string? model, string screenshotName)
    {
        var (playwright, browser) = await LaunchAsync();
        try
        {
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
            var outside = new List<string>();
            page.Request += (_, request) =>
            {
                if (!request.Url.StartsWith(host.Server.BaseAddress.ToString(), StringComparison.Ordinal)) outside.Add(request.Url);
            };
            await page.GotoAsync(host.Server.BaseAddress.ToString());
            if (apiKey is not null)
            {
                await page.FillAsync("#key", apiKey);
                await page.DispatchEventAsync("#key", "change");
            }
            if (model is not null)
            {
                await page.WaitForSelectorAsync("#model-box:not([hidden])");
                await page.SelectOptionAsync("#model", model);
            }
            await page.FillAsync("#text", "So grateful for all the support today, what a wonderful day!\nworst service ever, never again");
            await page.CheckAsync("#lines");
            await page.ClickAsync("#submit");
            await page.WaitForSelectorAsync(".result .bar", new PageWaitForSelectorOptions { Timeout = 30_000 });
            Assert.Equal(2, await page.Locator(".result").CountAsync());
            Assert.True(await page.Locator(".bar").CountAsync() >= 4);
            Assert.DoesNotContain("error", await page.GetAttributeAsync("#status", "class") ?? "");
            var path = Path.Combine(Path.GetTempPath(), screenshotName);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
            return (path, outside);
        }
        finally
        {
            await browser.CloseAsync();
            playwright.Dispose();
        }
    }

    private static void AssertNotBlank(string screenshot)
    {
        var (width, height, pixels) = Png.Decode(File.ReadAllBytes(screenshot));
        Assert.True(width >= 1000 && height >= 600, $"{width}×{height}");
        var colours = pixels.Distinct().Count();
        Assert.True(colours > 200, $"only {colours} distinct colours in {screenshot}");
        // The bars' gradients are drawn: some clearly blue and some clearly green pixels.
        Assert.Contains(pixels, p => (p & 0xFF) > 0xC0 && (p >> 16) < 0x60);
        Assert.Contains(pixels, p => ((p >> 8) & 0xFF) > 0x90 && (p >> 16) < 0x60 && (p & 0xFF) < 0x90);
    }

    [ChromiumFact]
    public async Task Demo_page_classifies_in_headless_Chromium_with_bars_and_no_outside_request()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions
        {
            Models = [new ModelSpec("tweets", TestModels.LinearTweets), new ModelSpec("tweets-abstain", TestModels.LinearTweetsAbstain)],
        });
        var (screenshot, outside) = await ClassifyInPage(host, apiKey: null, model: "tweets", "classify-demo.png");
        Assert.Empty(outside);
        AssertNotBlank(screenshot);
    }

    [ChromiumFact]
    public async Task Demo_page_works_with_an_API_key()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions { ApiKeys = ["demo-key-42"] });
        var (screenshot, outside) = await ClassifyInPage(host, apiKey: "demo-key-42", model: null, "classify-demo-key.png");
        Assert.Empty(outside);
        AssertNotBlank(screenshot);
        Assert.Equal(2, await host.MetricAsync("classify_texts_total", "model=\"tweets\""));
    }

    [ChromiumFact]
    public async Task Demo_page_shows_the_servers_error_for_a_wrong_key()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions { ApiKeys = ["demo-key-42"] });
        var (playwright, browser) = await LaunchAsync();
        try
        {
            var page = await browser.NewPageAsync();
            await page.GotoAsync(host.Server.BaseAddress.ToString());
            await page.FillAsync("#key", "wrong");
            await page.FillAsync("#text", "hello");
            await page.ClickAsync("#submit");
            await page.WaitForSelectorAsync("#status.error");
            Assert.Contains("API key", await page.TextContentAsync("#status"));
            Assert.Equal(0, await page.Locator(".result").CountAsync());
        }
        finally
        {
            await browser.CloseAsync();
            playwright.Dispose();
        }
    }
}
