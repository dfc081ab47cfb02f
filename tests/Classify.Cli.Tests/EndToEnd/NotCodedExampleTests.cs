using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// Issue 15 item 4: examples/not-coded.yaml (the behavioural-coding workflow) runs end to end with capped steps on a
/// slice of AnnoMI, and its linear baseline on the same split; the two runs compare.
/// </summary>
public sealed class NotCodedExampleTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private static string Example(string name) => Path.Combine(TestPaths.RepoRoot, "examples", name);

    private string[] Capped(string example, params string[] extra) =>
    [
        "train", "--config", Example(example), "--runs-dir", _ws.RunsDir, "--no-report",
        "--set", $"data.path={TestPaths.SharedData("annomi", "AnnoMI-simple.csv")}", "--set", "data.sample=0.08", .. extra,
    ];

    [Fact]
    public void The_workflow_and_its_baseline_train_on_the_same_transcript_split_and_compare()
    {
        var transformer = CliRunner.RunProcess(Capped("not-coded.yaml", "--set", "transformer.max_steps=4", "--set", "transformer.eval_steps=2",
            "--set", "transformer.save_steps=2"), timeout: TimeSpan.FromMinutes(4),
            environment: new Dictionary<string, string?> { ["CLASSIFY_CACHE"] = _ws.PathOf("cache") });
        Assert.True(transformer.ExitCode == 0, transformer.ToString());
        CliRunner.Ok(Capped("not-coded-linear.yaml"));

        string Run(string name, params string[] parts) => Path.Combine([_ws.RunsDir, name, .. parts]);
        var run = JsonNode.Parse(File.ReadAllText(Run("not-coded", "run.json")))!;
        Assert.Equal("completed", (string?)run["status"]);
        Assert.Equal(["no_code", "code"], run["labels"]!.AsArray().Select(l => (string?)l));
        var manifest = JsonNode.Parse(File.ReadAllText(Run("not-coded", "model", "classify.json")))!["context"]!;
        Assert.Equal((3, true, true), ((int)manifest["turns"]!, (bool)manifest["speaker_tags"]!, (bool)manifest["current_speaker"]!));

        // Group-aware split: no transcript in two splits, and the baseline used the very same test utterances.
        string[] Ids(string name, string split) => File.ReadAllLines(Run(name, "splits", $"{split}_ids.csv")).Skip(1).ToArray();
        var transcriptOf = new Dictionary<string, string>();
        foreach (var split in new[] { "train", "val", "test" })
            foreach (var id in Ids("not-coded", split))
            {
                var transcript = id.Split('/')[0];
                Assert.True(!transcriptOf.TryGetValue(transcript, out var other) || other == split, $"transcript {transcript} is in {other} and {split}");
                transcriptOf[transcript] = split;
            }
        Assert.Equal(Ids("not-coded", "test").Order(), Ids("not-coded-linear", "test").Order());

        CliRunner.Ok("compare", Run("not-coded"), Run("not-coded-linear"), "--output", _ws.PathOf("comparison"));
        Assert.NotEmpty(Directory.GetFiles(_ws.PathOf("comparison")));
    }
}
