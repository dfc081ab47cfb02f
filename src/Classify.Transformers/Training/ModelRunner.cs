using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Models;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>Runs a model over encodings in evaluation mode (no dropout, no gradients), in length-sorted batches.</summary>
internal static class ModelRunner
{
    /// <summary>
    /// Per-input probabilities (rows in input order) and, when <paramref name="labels"/> are given, the mean training
    /// loss over the inputs. The model's train/eval mode is restored afterwards.
    /// </summary>
    public static (double[][] Probabilities, double Loss) Run(SequenceClassificationModel model, IReadOnlyList<Encoding> encodings,
        int padTokenId, int batchSize, TrainingLoss loss, IReadOnlyList<int[]>? labels, CancellationToken cancellationToken)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            var probabilities = new double[encodings.Count][];
            double lossSum = 0;
            // Sorting by length keeps padding small; results are put back in input order.
            var order = Enumerable.Range(0, encodings.Count).OrderBy(i => encodings[i].Length).ToArray();
            using var _ = no_grad();
            foreach (var chunk in order.Chunk(batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var batch = EncodedBatch.Collate(encodings, padTokenId, chunk);
                using var output = model.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
                var p = loss.Probabilities(output.Logits).contiguous().data<double>().ToArray();
                int k = loss.Schema.Count;
                for (int r = 0; r < chunk.Length; r++) probabilities[chunk[r]] = p.AsSpan(r * k, k).ToArray();
                if (labels is not null)
                    lossSum += loss.Compute(output.Logits, loss.Targets(labels, chunk)).item<float>() * chunk.Length;
            }
            return (probabilities, labels is null ? double.NaN : lossSum / Math.Max(1, encodings.Count));
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
