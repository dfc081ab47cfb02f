using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Tests.Data;

namespace Classify.Core.Tests.Configuration;

public sealed class ExperimentConfigTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Yaml = """
        name: tweets
        seed: 7
        data:
          path: tweets.csv
          text_col: text
        cleaning:
          urls: true
        linear:
          tfidf:
            min_df: 2
          search:
            cv: 3
        """;

    [Fact]
    public void Reads_typed_settings_and_remembers_the_line_of_every_key()
    {
        var path = _dir.Write("c.yaml", Yaml);
        var config = ExperimentConfig.Load(path);
        Assert.Equal("tweets", config.Name);
        Assert.Equal(7, config.Seed);
        Assert.Equal("linear", config.Engine);
        Assert.True(config.Cleaning.Urls);
        Assert.Equal(4, config.LineOf("data.path"));
        Assert.Equal(10, config.LineOf("linear.tfidf.min_df"));
        Assert.Equal(9, config.LineOf("linear.tfidf.max_df"));   // absent: the enclosing section's line
        Assert.Null(config.LineOf("transformer.model"));
    }

    [Fact]
    public void The_engine_section_reader_names_file_line_and_full_key()
    {
        var path = _dir.Write("c.yaml", Yaml);
        var section = ExperimentConfig.Load(path).EngineSection();
        var e = section.Section("search").Error("cv", "too many folds");
        Assert.Equal(path, e.File);
        Assert.Equal(12, e.Line);
        Assert.Equal("linear.search.cv", e.Field);
        Assert.StartsWith($"{path}:12, field 'linear.search.cv'", e.Message);
    }

    [Fact]
    public void An_unknown_top_level_key_is_an_error_with_its_line()
    {
        var path = _dir.Write("c.yaml", Yaml + "\nlinaer:\n  x: 1\n");
        var e = Assert.Throws<InputException>(() => ExperimentConfig.Load(path));
        Assert.Equal("linaer", e.Field);
        Assert.Equal(13, e.Line);
    }

    [Fact]
    public void A_tune_section_is_kept_for_classify_tune_and_read_with_file_lines()
    {
        var path = _dir.Write("c.yaml", Yaml + "\ntune:\n  n_trials: 5\n  space:\n    linear.logreg.C: {choice: [1, 2]}\n");
        var config = ExperimentConfig.Load(path);
        var tune = config.Section(ExperimentConfig.TuneSection);
        Assert.Equal(5, tune.Int("n_trials", 0));
        var e = tune.Section("space").Error("linear.logreg.C", "bad");
        Assert.Equal((path, 16L, "tune.space.linear.logreg.C"), (e.File, e.Line, e.Field));
        Assert.Empty(config.Section("absent").Raw);

        var scalar = Assert.Throws<InputException>(() => ExperimentConfig.Load(_dir.Write("s.yaml", Yaml + "\ntune: 5\n")));
        Assert.Equal(("tune", 13L), (scalar.Field, scalar.Line));
        Assert.Contains("mapping", scalar.Reason);
    }

    [Fact]
    public void With_applies_overrides_to_a_copy()
    {
        var config = ExperimentConfig.Load(_dir.Write("c.yaml", Yaml));
        var trial = config.With(["linear.search.cv=5", "name=trial-2"]);
        Assert.Equal("trial-2", trial.Name);
        Assert.Equal(5, trial.EngineOptions["search"]!["cv"]!.GetValue<long>());
        Assert.Equal(3, config.EngineOptions["search"]!["cv"]!.GetValue<long>());
        Assert.Equal(config.Source, trial.Source);
    }

    [Fact]
    public void Flags_and_overrides_apply_after_the_file_in_order()
    {
        var flags = new JsonObject { ["seed"] = 9 };
        var config = ExperimentConfig.Load(_dir.Write("c.yaml", Yaml), ["seed=11"], flags);
        Assert.Equal(11, config.Seed);
    }


    [Fact]
    public void An_error_in_a_flag_value_names_the_command_line_not_the_file_line_it_replaced()
    {
        var path = _dir.Write("c.yaml", Yaml);
        var e = Assert.Throws<InputException>(() => ExperimentConfig.Load(path, null, new JsonObject { ["name"] = "ledger.db" }));
        Assert.Equal(ExperimentConfig.CommandLine, e.File);
        Assert.Null(e.Line);
        Assert.StartsWith("command line, field 'name':", e.Message);

        var config = ExperimentConfig.Load(path, ["linear.search.cv=1000"]);
        var cv = config.EngineSection().Section("search").Error("cv", "too many folds");
        Assert.Equal("command line, field 'linear.search.cv': too many folds", cv.Message);
        // Keys the flags left alone still point at the file.
        Assert.Equal($"{path}:10, field 'linear.tfidf.min_df': x", config.Error("linear.tfidf.min_df", "x").Message);
        Assert.Equal("override linear.tfidf.min_df=3", config.With(["linear.tfidf.min_df=3"]).SourceOf("linear.tfidf.min_df"));
    }
    [Fact]
    public void Any_engine_name_is_accepted_with_its_own_section_and_a_bad_name_is_refused()
    {
        var config = ExperimentConfig.FromJson(new JsonObject
        {
            ["name"] = "x", ["engine"] = "ONNX", ["data"] = new JsonObject { ["path"] = "d.csv" }, ["onnx"] = new JsonObject { ["threads"] = 2 },
        });
        Assert.Equal("onnx", config.Engine);
        Assert.Equal(2, config.EngineSection().Int("threads", 1));
        var e = Assert.Throws<InputException>(() => ExperimentConfig.FromJson(new JsonObject
        {
            ["name"] = "x", ["engine"] = "../x", ["data"] = new JsonObject { ["path"] = "d.csv" },
        }));
        Assert.Equal("engine", e.Field);
    }

    [Fact]
    public void DatasetOptions_maps_the_data_section_and_context()
    {
        var config = ExperimentConfig.FromJson(new JsonObject
        {
            ["name"] = "x", ["data"] = new JsonObject { ["path"] = "d.csv", ["labels_file"] = "labels.txt", ["label_delimiter"] = ";" },
            ["context"] = new JsonObject { ["turns"] = 3 },
        });
        var options = config.DatasetOptions();
        Assert.Equal("labels.txt", options.LabelNamesFile);
        Assert.Equal(";", options.LabelDelimiter);
        Assert.Equal(3, options.ContextTurns);
    }

    [Fact]
    public void A_contradictory_data_setting_names_its_key_and_line()
    {
        var path = _dir.Write("c.yaml", "name: x\ndata:\n  path: d.csv\n  labels: [a, b]\n  labels_file: l.txt\n");
        var e = Assert.Throws<InputException>(() => ExperimentConfig.Load(path).DatasetOptions());
        Assert.Equal("data.labels", e.Field);
        Assert.Equal(4, e.Line);
        Assert.Equal(path, e.File);
        var format = Assert.Throws<InputException>(() => ExperimentConfig.Load(_dir.Write("f.yaml", "name: x\ndata:\n  path: d.csv\n  format: xml\n")));
        Assert.Equal("data.format", format.Field);
        Assert.Equal(4, format.Line);
    }
}
