using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.BadInput;

/// <summary>
/// <c>predict --model SPEC</c> in a child process whose working folder holds <c>runs/</c>, with HF_ENDPOINT pointing at
/// a <see cref="FakeHub"/> and HF_TOKEN set: a mistyped local path whose first part exists (<c>runs/bsae</c>) is a
/// one-line input error naming the path and sends nothing to the hub (not the token either), while a real
/// <c>org/name</c> goes to the hub, with the token, and predicts.
/// </summary>
public sealed class HubModelSpecTests : IDisposable
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private const string Token = "secret";
    private readonly Workspace _ws = new();
    private readonly FakeHub _hub = new();

    public HubModelSpecTests()
    {
        Directory.CreateDirectory(_ws.PathOf("runs", "base"));
        var files = Directory.GetFiles(TestPaths.Fixture("tiny-bert")).Where(f => Path.GetFileName(f) != "golden.json")
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        _hub.AddRepo("org/tiny-bert", Commit, files, token: Token);   // private: only the token opens it
    }

    public void Dispose()
    {
        _hub.Dispose();
        _ws.Dispose();
    }

    private CliResult Predict(string model) => CliRunner.RunProcess(["predict", "--model", model, "--format", "json", "what a lovely day"],
        timeout: TimeSpan.FromMinutes(1), workingDirectory: _ws.Root, environment: new Dictionary<string, string?>
        {
            ["HF_ENDPOINT"] = _hub.Endpoint, ["HF_TOKEN"] = Token, ["HF_HOME"] = _ws.PathOf("hf"),
            ["HF_HUB_CACHE"] = null, ["HF_HUB_OFFLINE"] = null,
        });

    [Fact]
    public void A_mistyped_local_path_whose_first_part_exists_says_the_folder_is_missing_and_sends_no_request()
    {
        var result = Predict("runs/bsae");
        Assert.True(result.ExitCode == 2, result.ToString());
        var message = result.Stderr.Trim();
        Assert.DoesNotContain('\n', message);
        Assert.Contains("runs/bsae", message);
        Assert.Contains("no such local folder", message);
        Assert.DoesNotContain(Token, message);
        Assert.Empty(result.Stdout);
        Assert.Empty(_hub.Log);
        Assert.False(Directory.Exists(_ws.PathOf("hf")), "nothing may be written to the hub cache");
    }

    [Fact]
    public void An_org_name_spec_goes_to_the_hub_with_the_token_and_predicts()
    {
        var result = Predict("org/tiny-bert");
        Assert.True(result.ExitCode == 0, result.ToString());
        var labels = JsonNode.Parse(result.Stdout.Trim())!["labels"]!.AsArray().Select(l => (string?)l).ToList();
        Assert.Contains(Assert.Single(labels), new[] { "negative", "neutral", "positive" });

        var requests = _hub.Log.ToList();
        Assert.Contains(requests, r => r.Server == "hub" && r.Path.StartsWith("/org/tiny-bert/", StringComparison.Ordinal));
        Assert.All(requests.Where(r => r.Server == "hub"), r => Assert.Equal($"Bearer {Token}", r.Authorization));
        Assert.All(requests.Where(r => r.Server == "cdn"), r => Assert.Null(r.Authorization));
    }
}
