using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.BadInput;

/// <summary>
/// Bad <c>calibration:</c> settings: each exits with code 2 and one message naming the file, line and key (or the
/// command line for <c>--set</c>), before any run folder exists.
/// </summary>
public sealed class CalibrationBadInputTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private string Config(string calibration, string split = "") => BadInputTests.TinyTweetConfig(_ws, split, $"calibration:\n  {calibration}");

    private CliResult Train(string config, params string[] extra) =>
        CliRunner.Run(["train", "--config", config, "--runs-dir", _ws.RunsDir, .. extra]);

    [Fact]
    public void An_unknown_calibration_method_is_named_with_its_line()
    {
        var config = Config("method: platt");
        BadInputTests.AssertInputError(_ws, Train(config), $"{config}:8", "calibration.method", "'platt'", "none, temperature");
    }

    [Fact]
    public void A_misspelt_calibration_key_is_named_with_its_line()
    {
        var config = Config("metod: temperature");
        BadInputTests.AssertInputError(_ws, Train(config), $"{config}:8", "calibration.metod", "unknown setting", "method");
    }

    [Fact]
    public void A_bad_method_given_with_set_names_the_command_line()
    {
        var config = Config("method: none");
        BadInputTests.AssertInputError(_ws, Train(config, "--set", "calibration.method=yes"), "command line", "calibration.method", "'yes'");
    }

    [Fact]
    public void Calibration_without_a_validation_split_is_refused()
    {
        var config = Config("method: temperature", "split: {train: 0.75, val: 0, test: 0.25}");
        BadInputTests.AssertInputError(_ws, Train(config), $"{config}:8", "calibration.method", "validation split, which is empty");
    }

    [Fact]
    public void Per_label_temperatures_of_a_single_label_task_are_refused()
    {
        var config = Config("method: temperature\n  per_label: true");
        BadInputTests.AssertInputError(_ws, Train(config), $"{config}:9", "calibration.per_label", "applies to multilabel tasks");
    }
}
