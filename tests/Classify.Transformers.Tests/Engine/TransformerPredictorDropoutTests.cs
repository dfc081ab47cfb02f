using Classify.Core.Prediction;
using Classify.Transformers.Engine;
using Classify.Transformers.Tests.Training;

namespace Classify.Transformers.Tests.Engine;

/// <summary>
/// Monte-Carlo-dropout passes. They draw from torch's global generator, as training does, so they run in the
/// training collection (never concurrently with a training).
/// </summary>
[Collection(TrainingCollection.Name)]
public class TransformerPredictorDropoutTests
{
    private static readonly TextInput[] DropoutInputs =
        ["The quick brown fox jumps over the lazy dog.", "hi", "Another, rather different input!", "ok then", "hi"];

    [Theory]
    [InlineData("tiny-bert")]
    [InlineData("tiny-distilbert")]
    public void A_dropout_pass_is_reproducible_for_a_seed_and_differs_from_eval_and_between_seeds(string fixture)
    {
        using var predictor = TransformerPredictor.Load(TestPaths.Fixture(fixture), options: new TransformerPredictorOptions { BatchSize = 2 });
        Assert.True(predictor.SupportsDropout);
        var deterministic = predictor.PredictScores(DropoutInputs);
        var first = predictor.PredictScores(DropoutInputs, ForwardMode.WithDropout(7));
        var again = predictor.PredictScores(DropoutInputs, ForwardMode.WithDropout(7));
        var other = predictor.PredictScores(DropoutInputs, ForwardMode.WithDropout(8));
        for (int i = 0; i < DropoutInputs.Length; i++)
        {
            Assert.Equal(first[i], again[i]);
            Assert.True(GoldenInputs.MaxAbsDiff(first[i], deterministic[i]) > 1e-4, $"row {i}: dropout changed nothing");
            Assert.True(GoldenInputs.MaxAbsDiff(first[i], other[i]) > 1e-4, $"row {i}: seeds 7 and 8 gave the same masks");
        }
        // The model is back in eval mode: the deterministic pass is as before.
        Assert.False(predictor.Model.training);
        var after = predictor.PredictScores(DropoutInputs);
        for (int i = 0; i < DropoutInputs.Length; i++) Assert.Equal(deterministic[i], after[i]);
        // Equal inputs get equal masks within a pass.
        Assert.Equal(first[1], first[4]);
    }

    [Fact]
    public void A_dropout_row_depends_on_its_input_and_the_seed_only()
    {
        using var predictor = TransformerPredictor.Load(TestPaths.Fixture("tiny-roberta"), options: new TransformerPredictorOptions { BatchSize = 3 });
        var all = predictor.PredictScores(DropoutInputs, ForwardMode.WithDropout(11));
        var reversed = predictor.PredictScores(DropoutInputs.Reverse().ToArray(), ForwardMode.WithDropout(11));
        for (int i = 0; i < DropoutInputs.Length; i++)
        {
            Assert.Equal(all[i], reversed[DropoutInputs.Length - 1 - i]);
            Assert.Equal(all[i], predictor.PredictScores([DropoutInputs[i]], ForwardMode.WithDropout(11))[0]);
        }
        // Through the batched prediction loop of Core, with another batch size: the same.
        var chunked = predictor.PredictScores(DropoutInputs, batchSize: 2, ForwardMode.WithDropout(11), progress: null, stage: null, CancellationToken.None);
        for (int i = 0; i < DropoutInputs.Length; i++) Assert.Equal(all[i], chunked[i]);
        var probabilities = predictor.PredictProbabilities(DropoutInputs, ForwardMode.WithDropout(11));
        for (int i = 0; i < DropoutInputs.Length; i++) Assert.Equal(LinkFunction.Apply(all[i], ScoreLink.Softmax), probabilities[i]);
    }

    [Fact]
    public void A_dropout_pass_leaves_torchs_generator_as_it_found_it()
    {
        using var predictor = TransformerPredictor.Load(TestPaths.Fixture("tiny-bert"));
        TorchSharp.torch.random.manual_seed(123);
        using var expected = TorchSharp.torch.rand(4);
        TorchSharp.torch.random.manual_seed(123);
        predictor.PredictScores(DropoutInputs, ForwardMode.WithDropout(1));
        using var actual = TorchSharp.torch.rand(4);
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
    }

}
