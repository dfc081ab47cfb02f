using System.Text.Json.Nodes;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.Transformers.Models;
using Classify.Transformers.Tests.Training;
using Classify.Transformers.Engine;
using Xunit.Abstractions;

namespace Classify.Transformers.Tests.Engine;

/// <summary>
/// Monte-Carlo-dropout passes (<see cref="MonteCarloDropout.PredictPasses"/> on the transformer engine). The masks
/// come from per-row generators, not torch's, so these tests may run beside a training.
/// </summary>
public class TransformerPredictorDropoutTests : IClassFixture<TransformerPredictorDropoutTests.Models>
{
    /// <summary>
    /// How far a row's scores may move when it is batched differently (other rows, another --mc-batch-size or batch
    /// size): not at all, since every row keeps its own padded shape (docs/transformers.md, "Batching and reproducibility").
    /// </summary>
    private const double BatchingTolerance = 0;

    private static readonly TextInput[] Inputs =
        ["The quick brown fox jumps over the lazy dog.", "hi", "Another, rather different input!", "ok then", "hi",
         "a somewhat longer sentence, so that padding differs between the forward passes"];

    private readonly Models _models;
    private readonly ITestOutputHelper _out;

    public TransformerPredictorDropoutTests(Models models, ITestOutputHelper output)
    {
        _models = models;
        _out = output;
    }

    /// <summary>Model folders: the fixtures, and copies of tiny-bert and scratch ModernBERT with other dropout settings.</summary>
    public sealed class Models : IDisposable
    {
        private readonly TempDirectory _temp = new();

        public Models()
        {
            // ModernBERT checkpoints have no dropout, and tiny-modernbert no tokenizer: a scratch model with dropouts of 0.1.
            // A scratch folder holds the encoder only; the classification head is drawn here and the whole model saved.
            var scratch = ScratchModels.Create("scratch:modernbert-tiny", _temp.Sub("scratch"), seed: 3);
            ModernBert = _temp.Sub("modernbert");
            var config = PretrainedConfig.Load(scratch);
            foreach (var key in new[] { "attention_dropout", "embedding_dropout", "mlp_dropout", "classifier_dropout" }) config.Json[key] = 0.1;
            using (var generator = new TorchSharp.torch.Generator(3))
            using (var model = AutoModelForSequenceClassification.FromConfig(config, generator: generator))
                model.SavePretrained(ModernBert);
            foreach (var file in Directory.GetFiles(scratch).Where(f => Path.GetFileName(f).StartsWith("tokenizer") || Path.GetFileName(f).StartsWith("special")))
                File.Copy(file, Path.Combine(ModernBert, Path.GetFileName(file)));
            NoDropout = _temp.Sub("tiny-bert-no-dropout");
            GoldenInputs.CopyModelFiles("tiny-bert", NoDropout);
            EditConfig(NoDropout, ["hidden_dropout_prob", "attention_probs_dropout_prob"], 0.0);
        }

        public string ModernBert { get; }
        public string NoDropout { get; }

        public string Folder(string name) => name switch
        {
            "scratch-modernbert" => ModernBert,
            "tiny-bert-no-dropout" => NoDropout,
            _ => TestPaths.Fixture(name),
        };

        private static void EditConfig(string folder, string[] keys, double value)
        {
            var path = Path.Combine(folder, "config.json");
            var json = JsonNode.Parse(File.ReadAllText(path))!;
            foreach (var key in keys) json[key] = value;
            File.WriteAllText(path, json.ToJsonString());
        }

        public void Dispose() => _temp.Dispose();
    }

    public static TheoryData<string> Families => new() { "tiny-bert", "tiny-roberta", "tiny-distilbert", "scratch-modernbert" };

    private TransformerPredictor Load(string name, int batchSize = 32) =>
        TransformerPredictor.Load(_models.Folder(name), options: new TransformerPredictorOptions { BatchSize = batchSize });

    [Theory]
    [MemberData(nameof(Families))]
    public void A_fixed_seed_gives_identical_passes_on_every_run_and_other_seeds_give_others(string family)
    {
        using var predictor = Load(family);
        var deterministic = predictor.PredictScores(Inputs);
        var first = predictor.PredictPasses(Inputs, passes: 4, seed: 7, maxRowsPerForward: 8);
        var again = predictor.PredictPasses(Inputs, passes: 4, seed: 7, maxRowsPerForward: 8);
        var other = predictor.PredictPasses(Inputs, passes: 4, seed: 8, maxRowsPerForward: 8);
        Assert.Equal(4, first.Length);
        for (int k = 0; k < 4; k++)
        {
            Assert.Equal(Inputs.Length, first[k].Length);
            for (int i = 0; i < Inputs.Length; i++)
            {
                Assert.Equal(first[k][i], again[k][i]);   // bit for bit: same forwards, same masks
                Assert.True(GoldenInputs.MaxAbsDiff(first[k][i], deterministic[i]) > 1e-4, $"pass {k} row {i}: dropout changed nothing");
                Assert.True(GoldenInputs.MaxAbsDiff(first[k][i], other[k][i]) > 1e-4, $"pass {k} row {i}: seeds 7 and 8 gave the same masks");
                if (k > 0) Assert.True(GoldenInputs.MaxAbsDiff(first[k][i], first[0][i]) > 1e-4, $"row {i}: passes 0 and {k} are equal");
            }
            Assert.Equal(first[k][1], first[k][4]);   // equal inputs, equal masks within a pass
        }
        // The model is back in eval mode and the deterministic pass is as before.
        Assert.False(predictor.Model.training);
        var after = predictor.PredictScores(Inputs);
        for (int i = 0; i < Inputs.Length; i++) Assert.Equal(deterministic[i], after[i]);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Neither_the_rows_per_forward_nor_the_batch_composition_changes_a_result(string family)
    {
        const int passes = 3;
        using var predictor = Load(family, batchSize: 2);
        var reference = predictor.PredictPasses(Inputs, passes, seed: 11, maxRowsPerForward: Inputs.Length * passes);
        double largest = 0;
        void Compare(double[] expected, double[] actual, string what)
        {
            var diff = GoldenInputs.MaxAbsDiff(expected, actual);
            largest = Math.Max(largest, diff);
            Assert.True(diff <= BatchingTolerance, $"{what}: {diff:E2}");
        }
        foreach (var rowsPerForward in new[] { 1, 3, 5 })
        {
            var split = predictor.PredictPasses(Inputs, passes, seed: 11, rowsPerForward);
            for (int k = 0; k < passes; k++)
                for (int i = 0; i < Inputs.Length; i++) Compare(reference[k][i], split[k][i], $"rows per forward {rowsPerForward}, pass {k}, row {i}");
        }
        // Other inputs and order: a row's passes depend on its own text and the seed only.
        var reversed = predictor.PredictPasses(Inputs.Reverse().ToArray(), passes, seed: 11, maxRowsPerForward: 4);
        var alone = Enumerable.Range(0, Inputs.Length).Select(i => predictor.PredictPasses([Inputs[i]], passes, seed: 11, maxRowsPerForward: 1)).ToArray();
        for (int k = 0; k < passes; k++)
            for (int i = 0; i < Inputs.Length; i++)
            {
                Compare(reference[k][i], reversed[k][Inputs.Length - 1 - i], $"reversed, pass {k}, row {i}");
                Compare(reference[k][i], alone[i][k][0], $"alone, pass {k}, row {i}");
            }
        // A single pass of PredictScores is the same pass: one implementation, any batch size.
        var seeds = MonteCarloDropout.PassSeeds(11, passes);
        for (int k = 0; k < passes; k++)
        {
            var single = predictor.PredictScores(Inputs, ForwardMode.WithDropout(seeds[k]));
            var chunked = predictor.PredictScores(Inputs, batchSize: 4, ForwardMode.WithDropout(seeds[k]), progress: null, stage: null, CancellationToken.None);
            for (int i = 0; i < Inputs.Length; i++)
            {
                Compare(reference[k][i], single[i], $"PredictScores, pass {k}, row {i}");
                Compare(reference[k][i], chunked[i], $"PredictScores in chunks of 4, pass {k}, row {i}");
            }
        }
        // The deterministic path is as batch-invariant: batched by 1, by 4 and by all rows.
        using var one = Load(family, batchSize: 1);
        var byOne = one.PredictScores(Inputs);
        using var all = Load(family, batchSize: Inputs.Length);
        var byAll = all.PredictScores(Inputs);
        using var four = Load(family, batchSize: 4);
        var byFour = four.PredictScores(Inputs);
        for (int i = 0; i < Inputs.Length; i++)
        {
            Compare(byAll[i], byOne[i], $"deterministic, batch 1 vs {Inputs.Length}, row {i}");
            Compare(byAll[i], byFour[i], $"deterministic, batch 4 vs {Inputs.Length}, row {i}");
        }
        _out.WriteLine($"{family}: largest logit difference between batchings {largest:E2}");
    }

    [Fact]
    public void Without_dropout_every_pass_is_the_deterministic_pass()
    {
        using var predictor = Load("tiny-bert-no-dropout");
        var deterministic = predictor.PredictScores(Inputs);
        var passes = predictor.PredictPasses(Inputs, passes: 3, seed: 5, maxRowsPerForward: 7);
        foreach (var pass in passes)
            for (int i = 0; i < Inputs.Length; i++)
                Assert.True(GoldenInputs.MaxAbsDiff(deterministic[i], pass[i]) <= BatchingTolerance, $"row {i}");
    }

    [Fact]
    public void Probabilities_of_a_pass_go_through_the_link()
    {
        using var predictor = Load("tiny-roberta");
        var seed = MonteCarloDropout.PassSeeds(2, 1)[0];
        var scores = predictor.PredictScores(Inputs, ForwardMode.WithDropout(seed));
        var probabilities = predictor.PredictProbabilities(Inputs, ForwardMode.WithDropout(seed));
        for (int i = 0; i < Inputs.Length; i++) Assert.Equal(LinkFunction.Apply(scores[i], ScoreLink.Softmax), probabilities[i]);
    }

    [Fact]
    public void Bad_arguments_are_refused_before_any_forward()
    {
        using var predictor = Load("tiny-bert");
        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.PredictPasses(Inputs, passes: 0, seed: 1, maxRowsPerForward: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.PredictPasses(Inputs, passes: 2, seed: 1, maxRowsPerForward: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.PredictDropoutPasses(Inputs, [], maxRowsPerForward: 4));
        Assert.Empty(predictor.PredictPasses([], passes: 2, seed: 1, maxRowsPerForward: 4)[1]);
    }
}

/// <summary>
/// Monte-Carlo passes never draw from torch's global generator. This check itself reads that generator, so it runs in
/// the training collection (never beside a training, which draws from it).
/// </summary>
[Collection(TrainingCollection.Name)]
public class TransformerPredictorDropoutGeneratorTests
{
    [Fact]
    public void A_dropout_pass_leaves_torchs_generator_as_it_found_it()
    {
        using var predictor = TransformerPredictor.Load(TestPaths.Fixture("tiny-bert"));
        TorchSharp.torch.random.manual_seed(123);
        using var expected = TorchSharp.torch.rand(4);
        TorchSharp.torch.random.manual_seed(123);
        predictor.PredictPasses(["The quick brown fox", "hi"], passes: 2, seed: 1, maxRowsPerForward: 4);
        using var actual = TorchSharp.torch.rand(4);
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
    }
}
