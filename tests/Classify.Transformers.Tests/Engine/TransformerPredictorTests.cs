using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.HuggingFace.Inference;
using Classify.Transformers.Engine;
using Classify.Transformers.Tests.Models;
using Xunit.Abstractions;

namespace Classify.Transformers.Tests.Engine;

/// <summary>
/// The acceptance checks of the transformer engine against the HF goldens: a predictor on the plain fixture folder
/// reproduces transformers' probabilities, tokenizes as transformers did, and survives save → load unchanged.
/// </summary>
public class TransformerPredictorTests
{
    private const double Tolerance = 1e-5;
    private readonly ITestOutputHelper _out;

    public TransformerPredictorTests(ITestOutputHelper output) => _out = output;

    public static TheoryData<string> Fixtures => new() { "tiny-bert", "tiny-roberta", "tiny-distilbert", "tiny-bert-multilabel" };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void First_golden_input_gives_softmax_or_sigmoid_of_the_golden_logits(string fixture)
    {
        var golden = Golden.Load(fixture);
        var first = GoldenInputs.Inputs(golden)[0];
        using var predictor = TransformerPredictor.Load(golden.Directory);

        // Tokenization: the ids of the golden row without its padding.
        var encoding = predictor.Inputs.Encode([GoldenInputs.ToTextInput(first)])[0];
        var mask = GoldenInputs.AttentionRow(golden, 0);
        var expectedIds = GoldenInputs.InputIdsRow(golden, 0).Take(mask.Sum()).ToArray();
        Assert.Equal(expectedIds, encoding.InputIds);

        var sigmoid = golden.IsMultiLabel;
        Assert.Equal(sigmoid ? TaskKind.Multilabel : TaskKind.Multiclass, predictor.Manifest.Schema.Kind);
        Assert.Equal(sigmoid ? ScoreLink.Sigmoid : ScoreLink.Softmax, predictor.Link);
        var logits = predictor.PredictScores([GoldenInputs.ToTextInput(first)])[0];
        Assert.True(GoldenInputs.MaxAbsDiff(GoldenInputs.Logits(golden)[0], logits) <= Tolerance, $"{fixture}: logits differ");
        var actual = predictor.PredictProbabilities([GoldenInputs.ToTextInput(first)])[0];
        var expected = GoldenInputs.Probabilities(GoldenInputs.Logits(golden)[0], sigmoid);
        var diff = GoldenInputs.MaxAbsDiff(expected, actual);
        _out.WriteLine($"{fixture}: max |p - p_golden| = {diff:E2}");
        Assert.True(diff <= Tolerance, $"{fixture}: probabilities differ by {diff}");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Every_single_text_golden_input_matches_with_the_fixture_max_length(string fixture)
    {
        // Pairs are left out: the fixtures cut pairs with longest_first, while context turns (the predictor's second
        // segment) are cut oldest-turn-first, as the trainer encodes them.
        var golden = Golden.Load(fixture);
        var maxLength = golden["tokenizer"].TryGetProperty("max_length", out var m) ? m.GetInt32() : 24;
        using var predictor = TransformerPredictor.Load(golden.Directory, options: new TransformerPredictorOptions { MaxLength = maxLength, BatchSize = 4 });
        var rows = GoldenInputs.Inputs(golden).Select((input, row) => (input, row)).Where(x => x.input.Pair is null).ToArray();
        var inputs = rows.Select(x => GoldenInputs.ToTextInput(x.input)).ToArray();

        var encodings = predictor.Inputs.Encode(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            var length = GoldenInputs.AttentionRow(golden, rows[i].row).Sum();
            Assert.Equal(GoldenInputs.InputIdsRow(golden, rows[i].row).Take(length), encodings[i].InputIds);
        }

        var probabilities = predictor.PredictProbabilities(inputs);
        var logits = GoldenInputs.Logits(golden);
        var worst = 0.0;
        for (int i = 0; i < inputs.Length; i++)
            worst = Math.Max(worst, GoldenInputs.MaxAbsDiff(GoldenInputs.Probabilities(logits[rows[i].row], golden.IsMultiLabel), probabilities[i]));
        _out.WriteLine($"{fixture}: all {inputs.Length} inputs, max |p - p_golden| = {worst:E2}");
        Assert.True(worst <= Tolerance, $"{fixture}: probabilities differ by {worst}");
    }

    [Fact]
    public void Plain_hf_folder_gets_labels_from_id2label_and_task_from_problem_type()
    {
        using var multi = TransformerPredictor.Load(TestPaths.Fixture("tiny-bert-multilabel"));
        Assert.Equal("multilabel", multi.Manifest.Task);
        Assert.Equal(["label_a", "label_b", "label_c", "label_d", "label_e"], multi.Manifest.Labels);
        Assert.Equal("transformer", multi.Manifest.Engine);

        using var single = TransformerPredictor.Load(TestPaths.Fixture("tiny-bert"));
        Assert.Equal("multiclass", single.Manifest.Task);
        Assert.Equal(["negative", "neutral", "positive"], single.Manifest.Labels);
        Assert.Equal(64, single.MaxLength);   // tokenizer model_max_length 64, 64 positions
    }

    [Fact]
    public void Dynamic_padding_returns_rows_in_input_order_and_independent_of_batching()
    {
        using var predictor = TransformerPredictor.Load(TestPaths.Fixture("tiny-roberta"), options: new TransformerPredictorOptions { BatchSize = 2 });
        TextInput[] inputs = ["a much longer sentence that has quite a few more tokens than the others do", "hi", "short one", "medium length text here", "x"];
        var batched = predictor.PredictProbabilities(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            var alone = predictor.PredictProbabilities([inputs[i]])[0];
            Assert.True(GoldenInputs.MaxAbsDiff(alone, batched[i]) <= 1e-6, $"row {i} depends on its batch");
            Assert.Equal(1.0, batched[i].Sum(), 9);
        }
        Assert.Empty(predictor.PredictProbabilities([]));
    }

    [Fact]
    public void Context_turns_are_the_second_segment_when_the_manifest_asks_for_them()
    {
        var dir = TestPaths.Fixture("tiny-bert");
        var manifest = ClassifierFolder.ManifestFromConfig(HuggingFace.Configuration.PretrainedConfig.Load(dir), "transformer")
            with { Context = new ContextOptions { Turns = 2, Separator = " | " } };
        using var predictor = TransformerPredictor.Load(dir, manifest);
        var input = new TextInput("how are you", ["too old", "hello there", "fine thanks"]);
        var expected = predictor.Tokenizer.Encode("how are you", "hello there | fine thanks");
        Assert.Equal(expected.InputIds, predictor.Inputs.Encode([input])[0].InputIds);
        Assert.Equal(expected.TokenTypeIds, predictor.Inputs.Encode([input])[0].TokenTypeIds);

        using var plain = TransformerPredictor.Load(dir);   // no context settings: turns are ignored
        Assert.Equal(plain.Tokenizer.Encode("how are you").InputIds, plain.Inputs.Encode([input])[0].InputIds);
    }

    [Fact]
    public void Temperature_divides_the_logits()
    {
        var dir = TestPaths.Fixture("tiny-bert");
        var manifest = ClassifierFolder.ManifestFromConfig(HuggingFace.Configuration.PretrainedConfig.Load(dir), "transformer") with { Temperature = 2.5 };
        using var predictor = TransformerPredictor.Load(dir, manifest);
        var logits = predictor.PredictScores(["temperature check"])[0];
        var expected = GoldenInputs.Probabilities(logits.Select(z => z / 2.5).ToArray(), sigmoid: false);
        Assert.True(GoldenInputs.MaxAbsDiff(expected, predictor.PredictProbabilities(["temperature check"])[0]) <= 1e-12);
    }

    [Theory]
    [InlineData("tiny-bert-multilabel")]
    [InlineData("tiny-roberta")]
    public void Save_then_load_as_a_package_predicts_identically(string fixture)
    {
        using var temp = new TempDirectory();
        var package = temp.Sub("model");
        TextInput[] inputs = ["The quick brown fox jumps over the lazy dog.", "Another, rather different input!", "ok"];
        double[][] before;
        using (var original = TransformerPredictor.Load(TestPaths.Fixture(fixture)))
        {
            before = original.PredictProbabilities(inputs);
            original.Model.SavePretrained(package);
            original.Tokenizer.SaveTokenizerFiles(package);
            (original.Manifest with { EngineOptions = new() { ["max_length"] = 48 } }).Save(package);
        }

        using var reloaded = TransformerPredictor.Load(package);
        Assert.Equal(48, reloaded.MaxLength);
        var after = reloaded.PredictProbabilities(inputs);
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void Labels_that_disagree_with_the_config_are_an_input_error()
    {
        var dir = TestPaths.Fixture("tiny-bert");
        var manifest = new ModelManifest { Engine = "transformer", Task = "binary", Labels = ["no", "yes"] };
        var e = Assert.Throws<InputException>(() => TransformerPredictor.Load(dir, manifest));
        Assert.Contains("3 labels", e.Message);
    }
}
