using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.BadInput;

/// <summary>
/// Bad <c>decision.abstain</c> settings: each exits with code 2 and one message naming the file, line and key (or the
/// command line for <c>--set</c>), before any run folder exists.
/// </summary>
public sealed class AbstainBadInputTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private string Config(string abstain, string split = "") => BadInputTests.TinyTweetConfig(_ws, split, $"decision:\n  abstain:\n    {abstain}");

    private CliResult Train(string config, params string[] extra) =>
        CliRunner.Run(["train", "--config", config, "--runs-dir", _ws.RunsDir, .. extra]);

    [Theory]
    [InlineData("coverage: 0", "greater than 0")]
    [InlineData("coverage: 1.2", "at most 1")]
    [InlineData("target_accuracy: -0.5", "greater than 0")]
    [InlineData("target_accuracy: 2", "at most 1")]
    [InlineData("coverage: most", "expected a number")]
    public void An_out_of_range_or_non_numeric_target_is_named_with_its_line(string setting, string mention)
    {
        var config = Config(setting);
        var key = "decision.abstain." + setting[..setting.IndexOf(':')];
        BadInputTests.AssertInputError(_ws, Train(config), $"{config}:9", key, mention);
    }

    [Fact]
    public void Both_targets_are_refused()
    {
        var config = Config("coverage: 0.9\n    target_accuracy: 0.9");
        BadInputTests.AssertInputError(_ws, Train(config), $"{config}:10", "decision.abstain.target_accuracy", "not both");
    }

    [Fact]
    public void Neither_target_is_refused()
    {
        var config = Config("score: max_probability");
        BadInputTests.AssertInputError(_ws, Train(config), $"{config}:8", "decision.abstain", "needs coverage");
    }

    [Fact]
    public void An_unknown_key_under_abstain_is_named()
    {
        var config = Config("coverage: 0.9\n    covrage: 0.8");
        BadInputTests.AssertInputError(_ws, Train(config), $"{config}:10", "decision.abstain.covrage", "unknown setting", "target_accuracy");
    }

    [Fact]
    public void A_bad_value_given_with_set_names_the_command_line()
    {
        var config = Config("coverage: 0.9");
        BadInputTests.AssertInputError(_ws, Train(config, "--set", "decision.abstain.coverage=0"), "command line", "decision.abstain.coverage", "greater than 0");
    }

    [Fact]
    public void Abstention_without_a_validation_split_is_refused()
    {
        var config = Config("coverage: 0.9", "split: {train: 0.75, val: 0, test: 0.25}");
        BadInputTests.AssertInputError(_ws, Train(config), "decision.abstain", "validation split, which is empty");
    }
}
