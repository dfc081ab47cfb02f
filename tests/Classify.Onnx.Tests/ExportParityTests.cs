using Classify.Core.Prediction;
using Classify.Onnx.Engine;
using Classify.Onnx.Export;
using Xunit.Abstractions;

namespace Classify.Onnx.Tests;

/// <summary>
/// The exported graphs against transformers' golden logits (shared/fixtures): the graph on the golden batch (padding,
/// text pairs, token types as HF fed them) and, for the fixtures with a tokenizer, texts through the onnx engine.
/// </summary>
public class ExportParityTests
{
    // Issue 14's bar: probabilities within 1e-4 of transformers'.
    private const double ProbabilityTolerance = 1e-4;
    private readonly ITestOutputHelper _out;

    public ExportParityTests(ITestOutputHelper output) => _out = output;

    public static TheoryData<string> AllFixtures => new() { "tiny-bert", "tiny-bert-multilabel", "tiny-distilbert", "tiny-roberta", "tiny-modernbert" };

    public static TheoryData<string> TokenizedFixtures => new() { "tiny-bert", "tiny-bert-multilabel", "tiny-distilbert", "tiny-roberta" };

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Float_graph_reproduces_the_golden_logits_of_the_whole_padded_batch(string fixture)
    {
        var golden = FixtureGolden.Load(fixture);
        var logits = GraphRunner.Run(GraphRunner.Build(golden.Directory), golden);
        var expected = golden.Logits;
        double worstLogit = 0, worstP = 0;
        for (int r = 0; r < expected.Length; r++)
        {
            worstLogit = Math.Max(worstLogit, FixtureGolden.MaxAbsDiff(expected[r], logits[r]));
            worstP = Math.Max(worstP, FixtureGolden.MaxAbsDiff(FixtureGolden.Probabilities(expected[r], golden.IsMultiLabel),
                FixtureGolden.Probabilities(logits[r], golden.IsMultiLabel)));
        }
        _out.WriteLine($"{fixture}: {expected.Length} rows, max |Δlogit| = {worstLogit:E2}, max |Δp| = {worstP:E2}");
        Assert.True(worstP <= ProbabilityTolerance, $"{fixture}: probabilities differ by {worstP}");
        Assert.True(worstLogit <= 1e-4, $"{fixture}: logits differ by {worstLogit}");
    }

    [Theory]
    [MemberData(nameof(TokenizedFixtures))]
    public void Exported_package_predicts_the_golden_probabilities_from_text(string fixture)
    {
        var golden = FixtureGolden.Load(fixture);
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            var result = OnnxExporter.Export(golden.Directory, dir);
            Assert.Equal(OnnxQuantization.None, result.Quantization);
            using var predictor = OnnxPredictor.Load(dir, options: new OnnxPredictorOptions { MaxLength = golden.MaxLength, BatchSize = 4 });
            Assert.Equal(OnnxEngine.EngineName, predictor.Manifest.Engine);
            Assert.Equal(golden.IsMultiLabel ? ScoreLink.Sigmoid : ScoreLink.Softmax, predictor.Link);

            // Single texts: pairs are cut longest_first in the fixtures but oldest-turn-first as context (see the transformer engine's tests).
            var rows = golden.Inputs.Select((input, row) => (input, row)).Where(x => x.input.Pair is null).ToArray();
            var probabilities = predictor.PredictProbabilities(rows.Select(x => new TextInput(x.input.Text)).ToArray());
            var worst = rows.Select((x, i) => FixtureGolden.MaxAbsDiff(FixtureGolden.Probabilities(golden.Logits[x.row], golden.IsMultiLabel), probabilities[i])).Max();
            _out.WriteLine($"{fixture}: {rows.Length} texts through the onnx engine, max |Δp| = {worst:E2}; model.onnx {result.ModelBytes:N0} bytes");
            Assert.True(worst <= ProbabilityTolerance, $"{fixture}: probabilities differ by {worst}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
