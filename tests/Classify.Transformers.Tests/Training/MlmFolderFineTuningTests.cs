using System.Text.Json.Nodes;
using Classify.Core.Training;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Training;

namespace Classify.Transformers.Tests.Training;

/// <summary><c>transformer.model</c> naming a <c>*ForMaskedLM</c> folder: the trainer fine-tunes its encoder and packages a classifier.</summary>
[Collection(TrainingCollection.Name)]
public class MlmFolderFineTuningTests
{
    public MlmFolderFineTuningTests() => Classify.Transformers.Native.TorchRuntime.EnsureInitialized();

    [Fact]
    public void An_MLM_folder_fine_tunes_into_a_classifier_package_without_the_MLM_head()
    {
        var run = TrainingFixture.TempRun("mlm-folder");
        var options = TrainingFixture.Options(TestPaths.Fixture("tiny-bert-mlm"),
            ("learning_rate", 1e-3), ("per_device_train_batch_size", 16), ("num_train_epochs", 1));
        var trainer = new TransformerTrainer();
        var outcome = ((IClassifierTrainer)trainer).Train(
            TrainingFixture.Request(run, options, TrainingFixture.ToyExamples(32, 1), TrainingFixture.ToyExamples(16, 2)), CancellationToken.None);
        using var trained = outcome.Model;
        var model = TrainingFixture.SavePackage(outcome, run);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!;
        Assert.Equal("BertForSequenceClassification", config["architectures"]![0]!.GetValue<string>());
        using var saved = SafeTensorsCheckpoint.Open(model);
        Assert.DoesNotContain(saved.Tensors.Keys, k => k.StartsWith("cls.", StringComparison.Ordinal));
        Assert.Contains("classifier.weight", saved.Tensors.Keys);
        Assert.Contains("bert.pooler.dense.weight", saved.Tensors.Keys);
    }
}
