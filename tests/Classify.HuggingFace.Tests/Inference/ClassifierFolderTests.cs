using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.Tests.SafeTensors;

namespace Classify.HuggingFace.Tests.Inference;

public class ClassifierFolderTests
{
    [Fact]
    public void Plain_hf_folder_gets_labels_from_id2label_and_task_from_problem_type()
    {
        var multi = ClassifierFolder.Open(TestPaths.Fixture("tiny-bert-multilabel"), "onnx");
        Assert.Equal("multilabel", multi.Manifest.Task);
        Assert.Equal("onnx", multi.Manifest.Engine);
        Assert.Equal(["label_a", "label_b", "label_c", "label_d", "label_e"], multi.Manifest.Labels);

        var single = ClassifierFolder.Open(TestPaths.Fixture("tiny-bert"), "transformer");
        Assert.Equal("multiclass", single.Manifest.Task);
        Assert.IsType<BertConfig>(single.Config);
        Assert.Equal(64, single.Inputs.MaxLength);   // tokenizer model_max_length 64, 64 positions
        Assert.Equal(48, ClassifierFolder.Open(TestPaths.Fixture("tiny-bert"), "transformer", maxLength: 48).Inputs.MaxLength);
        Assert.Equal(64, ClassifierFolder.Open(TestPaths.Fixture("tiny-bert"), "transformer", maxLength: 4096).Inputs.MaxLength);
    }

    [Fact]
    public void A_given_config_is_used_instead_of_reading_the_file()
    {
        var dir = TestPaths.Fixture("tiny-bert");
        var config = PretrainedConfig.Load(dir);
        var folder = ClassifierFolder.Open(dir, "transformer", config: config);
        Assert.Same(config, folder.Config);
    }

    [Fact]
    public void Package_manifest_wins_and_must_match_the_engine_and_label_count()
    {
        using var temp = new TempDir();
        foreach (var file in Directory.GetFiles(TestPaths.Fixture("tiny-roberta")).Where(f => Path.GetFileName(f) != "golden.json"))
            File.Copy(file, temp.File(Path.GetFileName(file)));
        var manifest = ClassifierFolder.ManifestFromConfig(PretrainedConfig.Load(temp.Path), "transformer")
            with { EngineOptions = new JsonObject { ["max_length"] = 20 } };
        manifest.Save(temp.Path);
        var folder = ClassifierFolder.Open(temp.Path, "transformer");
        Assert.Equal(20, folder.Inputs.MaxLength);

        var engine = Assert.Throws<InputException>(() => ClassifierFolder.Open(temp.Path, "onnx"));
        Assert.Contains("engine is 'transformer', not 'onnx'", engine.Message);
        var labels = Assert.Throws<InputException>(() => ClassifierFolder.Open(temp.Path, "transformer",
            manifest with { Labels = ["a", "b", "c", "d"], Task = "multiclass" }));
        Assert.Contains("labels", labels.Message);
        var tooShort = Assert.Throws<InputException>(() => ClassifierFolder.Open(temp.Path, "transformer",
            manifest with { EngineOptions = new JsonObject { ["max_length"] = 1 } }));
        Assert.Equal("engine_options.max_length", tooShort.Field);
    }

    [Fact]
    public void Regression_heads_are_refused()
    {
        var config = PretrainedConfig.FromJson(new JsonObject { ["model_type"] = "bert", ["num_labels"] = 1 });
        Assert.Throws<InputException>(() => ClassifierFolder.ManifestFromConfig(config, "transformer"));
    }

    [Fact]
    public void Position_limits_follow_the_family()
    {
        Assert.Equal(64, ClassifierFolder.PositionLimit(PretrainedConfig.FromJson(new JsonObject { ["model_type"] = "bert", ["max_position_embeddings"] = 64 })));
        // RoBERTa's positions start after the padding index.
        Assert.Equal(514 - 1 - 1, ClassifierFolder.PositionLimit(PretrainedConfig.FromJson(new JsonObject
        {
            ["model_type"] = "roberta", ["max_position_embeddings"] = 514, ["pad_token_id"] = 1,
        })));
        Assert.Equal(ClassifierFolder.DefaultMaxLength, ClassifierFolder.PositionLimit(PretrainedConfig.FromJson(new JsonObject { ["model_type"] = "gpt2" })));
    }
}
