using Classify.Core.Prediction;
using Classify.HuggingFace.Tokenization;

namespace Classify.HuggingFace.Inference;

/// <summary>
/// Turns a text and its conversation context into model inputs, identically at training and inference time.
/// The utterance is the first segment; the preceding turns, joined oldest first with the manifest's separator,
/// are the second (<c>text_pair</c>). When the input is too long the oldest turns go first: turns are added from
/// the newest backwards while they fit in <c>max_length</c>, and the utterance is cut only when it alone exceeds
/// the budget (then the context is dropped). If even the newest turn does not fit whole, it is cut from its end.
/// Without context options (or context) it is plain <c>tokenizer(text, truncation=True, max_length=N)</c>.
/// </summary>
public sealed class ContextEncoder
{
    private readonly PreTrainedTokenizer _tokenizer;
    private readonly EncodeOptions _truncate;
    private readonly int _singleSpecials;
    private readonly int _pairSpecials;

    /// <summary>Creates an encoder.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="maxLength">Tokens per input, special tokens included.</param>
    /// <param name="context">The manifest's context settings; null or 0 turns ignores context.</param>
    public ContextEncoder(PreTrainedTokenizer tokenizer, int maxLength, ContextOptions? context)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        _tokenizer = tokenizer;
        MaxLength = maxLength;
        Context = context is { Turns: > 0 } ? context : null;
        _truncate = new EncodeOptions { MaxLength = maxLength, Truncation = TruncationStrategy.LongestFirst };
        // The template's special tokens, counted once: [CLS] A [SEP] (2) and [CLS] A [SEP] B [SEP] (3) for BERT, 2 and 4 for RoBERTa.
        _singleSpecials = tokenizer.Encode(string.Empty).Length;
        _pairSpecials = tokenizer.Encode(string.Empty, string.Empty).Length;
    }

    /// <summary>Tokens per input, special tokens included.</summary>
    public int MaxLength { get; }

    /// <summary>The context settings in effect, or null when the text is encoded alone.</summary>
    public ContextOptions? Context { get; }

    /// <summary>The tokenizer.</summary>
    public PreTrainedTokenizer Tokenizer => _tokenizer;

    /// <summary>The unpadded encoding of one input.</summary>
    public Encoding Encode(string text, IReadOnlyList<string>? context = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pair = ContextSegment(text, context);
        return pair is null ? _tokenizer.Encode(text, null, _truncate)
            : _tokenizer.Encode(text, pair, _truncate with { Truncation = TruncationStrategy.OnlySecond });
    }

    /// <summary>The unpadded encoding of one predictor input.</summary>
    public Encoding Encode(TextInput input) => Encode(input.Text, input.Context);

    /// <summary>
    /// The second segment for <paramref name="text"/>: the newest turns that fit, joined oldest first; null when no
    /// turn is used (no context configured or given, or the utterance leaves no room).
    /// </summary>
    public string? ContextSegment(string text, IReadOnlyList<string>? context)
    {
        if (Context is null || context is null || context.Count == 0) return null;
        int budget = MaxLength - _pairSpecials - _tokenizer.Tokenize(text).Count;
        if (budget <= 0) return null;

        int first = Math.Max(0, context.Count - Context.Turns);
        string? kept = null;
        for (int start = context.Count - 1; start >= first; start--)
        {
            // Joined text is re-tokenized as a whole: BPE tokenizers split a turn differently after a separator.
            var candidate = string.Join(Context.Separator, context.Skip(start).Take(context.Count - start));
            if (_tokenizer.Tokenize(candidate).Count > budget) return kept ?? candidate;
            kept = candidate;
        }
        return kept;
    }

    /// <summary>The number of special tokens the template adds to a single text (for length budgets).</summary>
    public int SingleSpecialTokens => _singleSpecials;
}
