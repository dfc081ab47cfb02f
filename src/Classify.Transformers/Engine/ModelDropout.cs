using Classify.HuggingFace.Configuration;

namespace Classify.Transformers.Engine;

/// <summary>Whether a model's config gives it any dropout (so that Monte-Carlo dropout passes can differ).</summary>
internal static class ModelDropout
{
    /// <summary>
    /// True when some dropout probability the model applies is above 0 (BERT and RoBERTa: hidden, attention and
    /// classifier; DistilBERT: dropout, attention and head; ModernBERT: embedding, attention, MLP and classifier). A
    /// config of another family counts as having dropout.
    /// </summary>
    public static bool Any(PretrainedConfig config) => config switch
    {
        BertConfig b => b.HiddenDropoutProb > 0 || b.AttentionProbsDropoutProb > 0 || b.EffectiveClassifierDropout > 0,
        DistilBertConfig d => d.Dropout > 0 || d.AttentionDropout > 0 || d.SeqClassifDropout > 0,
        ModernBertConfig m => m.EmbeddingDropout > 0 || m.AttentionDropout > 0 || m.MlpDropout > 0 || m.ClassifierDropout > 0,
        _ => true,
    };
}
