namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// A token matched in the raw text before the model runs (<c>AddedToken</c> in Hugging Face): special tokens such as
/// [CLS] or &lt;mask&gt;, and tokens added to a vocabulary.
/// </summary>
/// <param name="Content">The literal text that is matched.</param>
/// <param name="Id">The token id.</param>
/// <param name="Special">Whether <c>skip_special_tokens</c> removes it when decoding.</param>
/// <param name="LStrip">Whether the match swallows the whitespace on its left (RoBERTa's &lt;mask&gt;).</param>
/// <param name="RStrip">Whether the match swallows the whitespace on its right.</param>
/// <param name="SingleWord">Whether it only matches when not inside a word.</param>
/// <param name="Normalized">Whether it is matched in the normalized text (fast tokenizers) rather than the raw text.</param>
public sealed record AddedToken(string Content, int Id, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);
