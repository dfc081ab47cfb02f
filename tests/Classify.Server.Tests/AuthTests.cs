using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Classify.Server.Tests;

/// <summary>API keys: /v1/ needs one (bearer or X-API-Key); health, metrics, OpenAPI and the demo page do not.</summary>
public class AuthTests
{
    private static HttpRequestMessage Classify(Action<HttpRequestHeaders>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/classify") { Content = new StringContent("{\"texts\": [\"hello\"]}", Encoding.UTF8, "application/json") };
        headers?.Invoke(request.Headers);
        return request;
    }

    [Fact]
    public async Task Missing_or_wrong_key_gets_401_json_and_right_keys_pass()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions { ApiKeys = ["first-key-123", "second-key-4567"] });
        var error = await ErrorAssert.IsError(await host.Client.SendAsync(Classify()), 401);
        Assert.Contains("API key", error);
        await ErrorAssert.IsError(await host.Client.SendAsync(Classify(h => h.Authorization = new AuthenticationHeaderValue("Bearer", "first-key-12"))), 401);
        await ErrorAssert.IsError(await host.Client.SendAsync(Classify(h => h.Authorization = new AuthenticationHeaderValue("Bearer", "first-key-1234"))), 401);
        await ErrorAssert.IsError(await host.Client.SendAsync(Classify(h => h.Add("X-API-Key", "nope"))), 401);
        await ErrorAssert.IsError(await host.Client.GetAsync("v1/models"), 401);
        var unauthorized = await host.Client.SendAsync(Classify());
        Assert.Equal("Bearer", unauthorized.Headers.WwwAuthenticate.Single().Scheme);

        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(Classify(h => h.Authorization = new AuthenticationHeaderValue("Bearer", "first-key-123")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(Classify(h => h.Add("X-API-Key", "second-key-4567")))).StatusCode);
        foreach (var open in new[] { "healthz", "readyz", "metrics", "openapi/v1.json", "" })
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(open)).StatusCode);
    }

    [Fact]
    public void Key_file_skips_blank_lines_and_comments()
    {
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var path = Path.Combine(dir, "keys.txt");
            File.WriteAllText(path, "# service keys\n  abc  \n\ndef\n");
            Assert.Equal(["abc", "def"], ServerOptions.ReadApiKeys(path));
            File.WriteAllText(path, "# nothing\n\n");
            Assert.Throws<Core.IO.InputException>(() => ServerOptions.ReadApiKeys(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Keys_compare_whole_values_only()
    {
        var keys = new ApiKeys(["secret"]);
        Assert.True(keys.Matches("secret"));
        Assert.False(keys.Matches("secre"));
        Assert.False(keys.Matches("secrets"));
        Assert.False(keys.Matches(""));
        Assert.False(keys.Matches(null));
        Assert.True(new ApiKeys([]).Open);
    }
}
