using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Runs;

namespace Classify.Core.Tests.Runs;

public sealed class RunNameTests
{
    public static TheoryData<string, string> BadNames => new()
    {
        { "ledger.db", "ledger" }, { "LEDGER.DB-wal", "ledger" }, { "ledger.db-shm", "ledger" },
        { ".", "starts with '.'" }, { "..", "starts with '.'" }, { ".hidden", "starts with '.'" },
        { "a/b", "path separator" }, { "a\\b", "path separator" }, { "../up", "path separator" },
        { new string('x', 101), "at most 100 characters" }, { new string('é', 101), "at most 100 characters" },
        { string.Concat(Enumerable.Repeat("日本", 40)), "bytes of UTF-8" },
        { "", "empty" }, { "  ", "empty" }, { "tab\there", "character" }, { "a:b", "character" }, { "why?", "character" },
        { "trailing.", "ends with" }, { "trailing ", "ends with" }, { "CON", "device" }, { "nul.txt", "device" }, { "com1", "device" },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public void A_name_that_cannot_be_a_run_folder_is_an_input_error_on_the_name_key(string name, string reason)
    {
        Assert.Contains(reason, RunLayout.NameProblem(name));
        var e = Assert.Throws<InputException>(() => ExperimentConfig.FromJson(new JsonObject
        {
            ["name"] = name, ["data"] = new JsonObject { ["path"] = "d.csv" },
        }));
        Assert.Equal("name", e.Field);
        Assert.True(e.Message.Length < 300, e.Message);   // one readable line, even for a 300-character name
    }

    [Theory]
    [InlineData("exp #2")]
    [InlineData("&a x")]
    [InlineData("tweets-baseline")]
    [InlineData("café v1.2")]
    [InlineData("console")]
    [InlineData("ledger")]
    public void Ordinary_names_are_accepted(string name)
    {
        Assert.Null(RunLayout.NameProblem(name));
        Assert.Null(RunLayout.NameProblem(new string('x', RunLayout.MaxNameLength)));
        Assert.Equal(name, ExperimentConfig.FromJson(new JsonObject { ["name"] = name, ["data"] = new JsonObject { ["path"] = "d.csv" } }).Name);
    }
}
