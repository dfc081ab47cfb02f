namespace Classify.HuggingFace.Tokenization;

/// <summary>One element of a post-processing template: a special token, or sequence A (0) or B (1).</summary>
internal readonly record struct TemplatePiece(int Sequence, int SpecialId, int TypeId)
{
    public bool IsSpecial => Sequence < 0;
    public static TemplatePiece Special(int id, int typeId = 0) => new(-1, id, typeId);
    public static TemplatePiece SequenceA(int typeId = 0) => new(0, -1, typeId);
    public static TemplatePiece SequenceB(int typeId) => new(1, -1, typeId);
}

/// <summary>
/// Where special tokens go around one text and a pair, and their type ids: <c>build_inputs_with_special_tokens</c>
/// and <c>create_token_type_ids_from_sequences</c> of the slow tokenizers, <c>TemplateProcessing</c> of the fast ones.
/// </summary>
internal sealed class PostProcessorTemplate(TemplatePiece[] single, TemplatePiece[] pair)
{
    public TemplatePiece[] Single { get; } = single;
    public TemplatePiece[] Pair { get; } = pair;

    public int NumSpecialTokens(bool isPair) => (isPair ? Pair : Single).Count(p => p.IsSpecial);

    /// <summary>BERT: <c>[CLS] A [SEP]</c> and <c>[CLS] A [SEP] B [SEP]</c>, type ids 0 then 1.</summary>
    public static PostProcessorTemplate Bert(int cls, int sep) => new(
        [TemplatePiece.Special(cls), TemplatePiece.SequenceA(), TemplatePiece.Special(sep)],
        [TemplatePiece.Special(cls), TemplatePiece.SequenceA(), TemplatePiece.Special(sep),
         TemplatePiece.SequenceB(1), TemplatePiece.Special(sep, 1)]);

    /// <summary>RoBERTa: <c>&lt;s&gt; A &lt;/s&gt;</c> and <c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c>, every type id 0.</summary>
    public static PostProcessorTemplate Roberta(int cls, int sep) => new(
        [TemplatePiece.Special(cls), TemplatePiece.SequenceA(), TemplatePiece.Special(sep)],
        [TemplatePiece.Special(cls), TemplatePiece.SequenceA(), TemplatePiece.Special(sep), TemplatePiece.Special(sep),
         TemplatePiece.SequenceB(0), TemplatePiece.Special(sep)]);
}
