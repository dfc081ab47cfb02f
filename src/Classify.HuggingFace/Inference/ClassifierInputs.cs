using System.Text.Json.Nodes;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Inference;

/// <summary>
/// How texts become the inputs of one Hugging Face sequence classifier, and the batched scoring loop that any forward
/// pass plugs into (TorchSharp in Classify.Transformers, ONNX Runtime, a model server): tokenize with the
/// <see cref="ContextEncoder"/> (context turns as the second segment, exactly as in training), order by length, cut
/// into batches padded only to their own longest member (<see cref="PaddedBatch"/>), and put the rows back in input
/// order. Needs no tensor library.
/// </summary>
public sealed class ClassifierInputs
{
    /// <summary>Creates the inputs of a model.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="config">The model's config (pad id fallback and the family, which decides whether segment ids are fed).</param>
    /// <param name="maxLength">Tokens per input, special tokens included.</param>
    /// <param name="context">The manifest's context settings, or null.</param>
    public ClassifierInputs(PreTrainedTokenizer tokenizer, PretrainedConfig config, int maxLength, ContextOptions? context)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(config);
        Encoder = new ContextEncoder(tokenizer, maxLength, context);
        PadTokenId = tokenizer.PadTokenId
                     ?? (config.Json["pad_token_id"] is JsonValue v && v.TryGetValue<int>(out var id) ? id : 0);
        // Only BERT has a token-type table with a row per segment; RoBERTa's has one row and the others none.
        UsesTokenTypes = config.ModelType == BertConfig.Type;
    }

    /// <summary>The tokenizer.</summary>
    public PreTrainedTokenizer Tokenizer => Encoder.Tokenizer;

    /// <summary>The encoder shared with training.</summary>
    public ContextEncoder Encoder { get; }

    /// <summary>Tokens per input, special tokens included; longer inputs are truncated.</summary>
    public int MaxLength => Encoder.MaxLength;

    /// <summary>The id padding positions get: the tokenizer's pad token, else the config's <c>pad_token_id</c>, else 0.</summary>
    public int PadTokenId { get; }

    /// <summary>True when the model takes <c>token_type_ids</c> (BERT); batches carry them only then.</summary>
    public bool UsesTokenTypes { get; }

    /// <summary>The unpadded encoding of each input, in input order.</summary>
    public Encoding[] Encode(IReadOnlyList<TextInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var encodings = new Encoding[inputs.Count];
        for (int i = 0; i < inputs.Count; i++) encodings[i] = Encoder.Encode(inputs[i].Text ?? "", inputs[i].Context);
        return encodings;
    }

    /// <summary>The encodings at <paramref name="rows"/> (all when null) as one right-padded batch for this model.</summary>
    public PaddedBatch Pad(IReadOnlyList<Encoding> encodings, IReadOnlyList<int>? rows = null) =>
        PaddedBatch.Create(encodings, PadTokenId, rows, UsesTokenTypes);

    /// <summary>
    /// Scores <paramref name="inputs"/>: tokenizes them, then runs <see cref="Score(IReadOnlyList{Encoding}, int, Func{PaddedBatch, double[][]}, CancellationToken)"/>.
    /// </summary>
    public double[][] Score(IReadOnlyList<TextInput> inputs, int batchSize, Func<PaddedBatch, double[][]> forward,
        CancellationToken cancellationToken = default) =>
        Score(Encode(inputs), batchSize, forward, cancellationToken);

    /// <summary>
    /// The multiple that scored rows are padded to (4): see <see cref="PaddedLength"/>. Small, because padding is
    /// wasted work (≈ 1.5 tokens a row on average); a multiple of 4 is what keeps libtorch's matrix products
    /// row-invariant (see Classify.Transformers' RowInvariant).
    /// </summary>
    public const int PadMultiple = 4;

    /// <summary>
    /// The length a row of <paramref name="length"/> tokens is padded to when scored: rounded up to a multiple of
    /// <see cref="PadMultiple"/>, but never beyond <see cref="MaxLength"/>. It depends on the row alone, so a row meets the
    /// same tensor shapes in whatever batch it lands (see <see cref="Score(IReadOnlyList{Encoding}, int, Func{PaddedBatch, double[][]}, CancellationToken)"/>).
    /// </summary>
    public int PaddedLength(int length) =>
        Math.Max(length, Math.Min(MaxLength, (length + PadMultiple - 1) / PadMultiple * PadMultiple));

    /// <summary>
    /// The one batched scoring loop: encodings ordered by length (stable), cut into batches of at most
    /// <paramref name="batchSize"/> rows that share one <see cref="PaddedLength"/>, padded to it and given to
    /// <paramref name="forward"/>, which returns one row of scores per batch row (in <see cref="PaddedBatch.Rows"/>
    /// order). Rows come back in input order.
    /// </summary>
    /// <remarks>
    /// Padding is masked, so in exact arithmetic a row's scores do not depend on its batch. In float32 they could: a
    /// softmax over more (masked) positions or a matrix product of another height can round differently. Padding each
    /// row to a length of its own and never mixing lengths in a batch keeps every row's shapes fixed, so the scores of
    /// a row are bit-identical across batch sizes and Monte-Carlo groupings (the models keep their small products
    /// row-invariant too; docs/transformers.md, "Batching and reproducibility").
    /// </remarks>
    /// <exception cref="InvalidOperationException"><paramref name="forward"/> returned the wrong number of rows.</exception>
    public double[][] Score(IReadOnlyList<Encoding> encodings, int batchSize, Func<PaddedBatch, double[][]> forward,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var order = Enumerable.Range(0, encodings.Count).OrderBy(i => encodings[i].Length).ToArray();   // stable
        var result = new double[encodings.Count][];
        for (int start = 0; start < order.Length;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int padded = PaddedLength(encodings[order[start]].Length), count = 1;
            while (count < batchSize && start + count < order.Length && PaddedLength(encodings[order[start + count]].Length) == padded) count++;
            var batch = PaddedBatch.Create(encodings, PadTokenId, new ArraySegment<int>(order, start, count), UsesTokenTypes, padded);
            var rows = forward(batch);
            if (rows.Length != batch.Count) throw new InvalidOperationException($"the forward pass returned {rows.Length} rows for a batch of {batch.Count}");
            for (int k = 0; k < rows.Length; k++) result[batch.Rows[k]] = rows[k];
            start += count;
        }
        return result;
    }
}
