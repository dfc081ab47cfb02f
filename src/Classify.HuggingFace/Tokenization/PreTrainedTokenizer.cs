using System.Text.Json.Nodes;
using Classify.Core.IO;

namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// A Hugging Face tokenizer: text (or a text pair) in, model inputs out, with transformers' truncation, padding and
/// special-token rules, and decoding back to text. Load one with <see cref="AutoTokenizer.FromPretrained"/>.
/// Instances are immutable and safe to use from several threads.
/// </summary>
public abstract class PreTrainedTokenizer
{
    [ThreadStatic] private static TokenBuffer? t_first;
    [ThreadStatic] private static TokenBuffer? t_second;

    private readonly Dictionary<string, AddedToken> _namedSpecials = new(StringComparer.Ordinal);
    private HashSet<int> _allSpecialIds = [];

    private protected PreTrainedTokenizer() { }

    /// <summary>The transformers class name written to <c>tokenizer_config.json</c> (<c>BertTokenizer</c>, <c>RobertaTokenizer</c>, …).</summary>
    public abstract string TokenizerClass { get; }

    /// <summary><c>vocab_size</c>: the size of the base vocabulary, without tokens added on top of it.</summary>
    public abstract int VocabSize { get; }

    /// <summary><c>len(tokenizer)</c>: one more than the largest id the tokenizer can produce (the embedding rows a model needs at least).</summary>
    public abstract int Count { get; }

    /// <summary><c>model_max_length</c> from <c>tokenizer_config.json</c>; <see cref="int.MaxValue"/> when unknown.</summary>
    public int ModelMaxLength { get; private protected set; } = int.MaxValue;

    /// <summary><c>model_input_names</c>: the inputs the model takes, e.g. input_ids, token_type_ids, attention_mask.</summary>
    public IReadOnlyList<string> ModelInputNames { get; private protected set; } = ["input_ids", "attention_mask"];

    /// <summary><c>clean_up_tokenization_spaces</c>: the default of <see cref="Decode"/>'s clean-up argument.</summary>
    public bool CleanUpTokenizationSpaces { get; private protected set; }

    /// <summary>The <see cref="LongestFirstRule"/> used when <see cref="EncodeOptions.LongestFirstRule"/> is null: the rule of the implementation this class reproduces.</summary>
    public LongestFirstRule DefaultLongestFirstRule { get; private protected set; } = LongestFirstRule.Transformers;

    /// <summary>Every token matched in the raw text before the model runs (special tokens included).</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; private set; } = [];

    /// <summary><c>cls_token</c>.</summary>
    public string? ClsToken => Named("cls_token");
    /// <summary><c>sep_token</c>.</summary>
    public string? SepToken => Named("sep_token");
    /// <summary><c>pad_token</c>.</summary>
    public string? PadToken => Named("pad_token");
    /// <summary><c>mask_token</c>.</summary>
    public string? MaskToken => Named("mask_token");
    /// <summary><c>unk_token</c>.</summary>
    public string? UnkToken => Named("unk_token");
    /// <summary><c>bos_token</c>.</summary>
    public string? BosToken => Named("bos_token");
    /// <summary><c>eos_token</c>.</summary>
    public string? EosToken => Named("eos_token");

    /// <summary><c>cls_token_id</c>.</summary>
    public int? ClsTokenId => NamedId("cls_token");
    /// <summary><c>sep_token_id</c>.</summary>
    public int? SepTokenId => NamedId("sep_token");
    /// <summary><c>pad_token_id</c>.</summary>
    public int? PadTokenId => NamedId("pad_token");
    /// <summary><c>mask_token_id</c>.</summary>
    public int? MaskTokenId => NamedId("mask_token");
    /// <summary><c>unk_token_id</c>.</summary>
    public int? UnkTokenId => NamedId("unk_token");
    /// <summary><c>bos_token_id</c>.</summary>
    public int? BosTokenId => NamedId("bos_token");
    /// <summary><c>eos_token_id</c>.</summary>
    public int? EosTokenId => NamedId("eos_token");

    /// <summary><c>all_special_ids</c>: the ids of the named special tokens and of every added token marked special.</summary>
    public IReadOnlySet<int> AllSpecialIds => _allSpecialIds;

    /// <summary>The files this tokenizer was loaded from, by name, written back by <see cref="SaveTokenizerFiles"/>.</summary>
    private protected Dictionary<string, byte[]> SourceFiles { get; } = new(StringComparer.Ordinal);

    private protected PostProcessorTemplate Template { get; set; } = new([TemplatePiece.SequenceA()], [TemplatePiece.SequenceA(), TemplatePiece.SequenceB(0)]);

    /// <summary><c>convert_tokens_to_ids</c> for one token: its id, or null when it is not in the vocabulary (no unk substitution).</summary>
    public abstract int? TokenToId(string token);

    /// <summary><c>convert_ids_to_tokens</c> for one id: the vocabulary string, or null for an unknown id.</summary>
    public abstract string? IdToToken(int id);

    /// <summary><c>tokenize(text)</c>: the token strings of <paramref name="text"/>, without special tokens.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = new TokenBuffer();
        TokenizeInto(text, buffer);
        var tokens = new string[buffer.Count];
        for (var i = 0; i < tokens.Length; i++) tokens[i] = IdToToken(buffer.Ids[i]) ?? string.Empty;
        return tokens;
    }

    /// <summary>
    /// <c>tokenizer(text, text_pair, ...)</c> for one input: tokenizes, truncates, adds special tokens and pads
    /// (padding on the right; <see cref="PaddingStrategy.Longest"/> alone changes nothing for a single input).
    /// </summary>
    public Encoding Encode(string text, string? textPair = null, EncodeOptions? options = null)
    {
        options ??= EncodeOptions.Default;
        var encoding = EncodeUnpadded(text, textPair, options);
        Pad(encoding, PaddedLength(encoding.Length, options), options);
        return encoding;
    }

    /// <summary>
    /// <c>tokenizer(texts, text_pairs, ...)</c> for a batch; with <see cref="PaddingStrategy.Longest"/> every encoding is
    /// padded to the longest of the batch. <paramref name="pairs"/>, when given, has one entry (or null) per text.
    /// </summary>
    public BatchEncoding EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string?>? pairs = null, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options ??= EncodeOptions.Default;
        if (pairs != null && pairs.Count != texts.Count)
            throw new ArgumentException($"{pairs.Count} text pairs for {texts.Count} texts.", nameof(pairs));
        var encodings = new Encoding[texts.Count];
        var longest = 0;
        for (var i = 0; i < encodings.Length; i++)
        {
            encodings[i] = EncodeUnpadded(texts[i], pairs?[i], options);
            longest = Math.Max(longest, encodings[i].Length);
        }
        var target = PaddedLength(longest, options);
        foreach (var e in encodings) Pad(e, target, options);
        return new BatchEncoding(encodings);
    }

    /// <summary>
    /// <c>decode(ids, skip_special_tokens, clean_up_tokenization_spaces)</c>. A null <paramref name="cleanUpTokenizationSpaces"/>
    /// uses <see cref="CleanUpTokenizationSpaces"/>, as transformers does.
    /// </summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false, bool? cleanUpTokenizationSpaces = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = DecodeCore(ids, skipSpecialTokens);
        return cleanUpTokenizationSpaces ?? CleanUpTokenizationSpaces ? CleanUpTokenization(text) : text;
    }

    /// <summary>
    /// Writes the tokenizer files into <paramref name="directory"/> (each atomically) so that the folder loads again here
    /// and with transformers' <c>AutoTokenizer.from_pretrained</c>. Files are written back byte for byte as loaded; a
    /// <c>tokenizer_config.json</c> is generated when the source had none.
    /// </summary>
    public void SaveTokenizerFiles(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        foreach (var (name, bytes) in SourceFiles) AtomicFile.WriteAllBytes(Path.Combine(directory, name), bytes);
        if (!SourceFiles.ContainsKey(TokenizerConfig.FileName))
            AtomicFile.WriteAllText(Path.Combine(directory, TokenizerConfig.FileName), CreateTokenizerConfig().ToJsonString(AtomicFile.JsonOptions));
    }

    /// <summary>Tokenizes one text (added tokens included, no template) into ids and character offsets.</summary>
    private protected abstract void TokenizeInto(string text, TokenBuffer output);

    /// <summary>Turns ids back into text, before transformers' optional clean-up of spaces.</summary>
    private protected abstract string DecodeCore(IReadOnlyList<int> ids, bool skipSpecialTokens);

    /// <summary>Adds class-specific keys to a generated <c>tokenizer_config.json</c>.</summary>
    private protected virtual void WriteConfig(JsonObject config) { }

    /// <summary>Registers the named special tokens and the added tokens; call once from the constructor.</summary>
    private protected void SetSpecialTokens(IReadOnlyDictionary<string, AddedToken> named, IEnumerable<AddedToken> added)
    {
        foreach (var (key, token) in named) _namedSpecials[key] = token;
        AddedTokens = added.ToArray();
        _allSpecialIds = [.. named.Values.Select(t => t.Id), .. AddedTokens.Where(t => t.Special).Select(t => t.Id)];
    }

    /// <summary>Remembers a source file so that <see cref="SaveTokenizerFiles"/> can write it back.</summary>
    private protected void KeepSourceFile(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        if (File.Exists(path)) SourceFiles[name] = File.ReadAllBytes(path);
    }

    /// <summary>The named special token <paramref name="key"/> (e.g. <c>mask_token</c>), or null.</summary>
    private protected AddedToken? NamedToken(string key) => _namedSpecials.GetValueOrDefault(key);

    /// <summary>transformers' <c>clean_up_tokenization</c>: removes the spaces a word-level decode leaves before punctuation and contractions.</summary>
    internal static string CleanUpTokenization(string text) =>
        text.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
            .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");

    /// <summary>
    /// The slow tokenizers' <c>_decode</c>: drops special ids when asked, converts runs of vocabulary tokens with
    /// <paramref name="convertTokensToString"/>, and joins them with the non-special added tokens by spaces.
    /// </summary>
    private protected string DecodeSlow(IReadOnlyList<int> ids, bool skipSpecialTokens, Func<List<string>, string> convertTokensToString)
    {
        var subTexts = new List<string>();
        var current = new List<string>();
        foreach (var id in ids)
        {
            if (skipSpecialTokens && _allSpecialIds.Contains(id)) continue;
            var token = IdToToken(id);
            if (token is null) continue;
            if (IsLegacyAddedToken(token))
            {
                if (current.Count > 0) subTexts.Add(convertTokensToString(current));
                current.Clear();
                subTexts.Add(token);
            }
            else current.Add(token);
        }
        if (current.Count > 0) subTexts.Add(convertTokensToString(current));
        return string.Join(' ', subTexts);
    }

    private bool IsLegacyAddedToken(string token)
    {
        foreach (var t in AddedTokens)
            if (!t.Special && t.Content == token && !_namedSpecials.Values.Any(s => s.Content == token)) return true;
        return false;
    }

    // As transformers 4.48's save_pretrained writes it: named special tokens as plain strings, and every added token
    // (named ones included) with its flags in added_tokens_decoder. A special token written as an object needs
    // "__type": "AddedToken", or from_pretrained raises "Special token … has to be either str or AddedToken".
    private JsonObject CreateTokenizerConfig()
    {
        var config = new JsonObject { ["tokenizer_class"] = TokenizerClass };
        foreach (var (key, token) in _namedSpecials) config[key] = token.Content;
        var decoder = new JsonObject();
        foreach (var token in AddedTokens.Concat(_namedSpecials.Values).DistinctBy(t => t.Id).OrderBy(t => t.Id))
            decoder[token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = AddedTokenState(token);
        config["added_tokens_decoder"] = decoder;
        config["clean_up_tokenization_spaces"] = CleanUpTokenizationSpaces;
        if (ModelMaxLength < int.MaxValue) config["model_max_length"] = ModelMaxLength;
        WriteConfig(config);
        return SortedByKey(config);
    }

    /// <summary>An added token as <c>AddedToken.__getstate__()</c> gives it: the six fields, keys sorted.</summary>
    internal static JsonObject AddedTokenState(AddedToken token) => new()
    {
        ["content"] = token.Content, ["lstrip"] = token.LStrip, ["normalized"] = token.Normalized,
        ["rstrip"] = token.RStrip, ["single_word"] = token.SingleWord, ["special"] = token.Special,
    };

    // json.dumps(sort_keys=True), as transformers writes the file.
    private static JsonObject SortedByKey(JsonObject source)
    {
        var entries = source.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        source.Clear();
        var sorted = new JsonObject();
        foreach (var (key, value) in entries) sorted[key] = value;
        return sorted;
    }

    private string? Named(string key) => _namedSpecials.GetValueOrDefault(key)?.Content;

    private int? NamedId(string key) => _namedSpecials.GetValueOrDefault(key)?.Id;

    private Encoding EncodeUnpadded(string text, string? textPair, EncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = t_first ??= new TokenBuffer();
        first.Clear();
        TokenizeInto(text, first);
        TokenBuffer? second = null;
        if (textPair != null)
        {
            second = t_second ??= new TokenBuffer();
            second.Clear();
            TokenizeInto(textPair, second);
        }

        var isPair = second != null;
        var pieces = options.AddSpecialTokens
            ? (isPair ? Template.Pair : Template.Single)
            : isPair ? [TemplatePiece.SequenceA(), TemplatePiece.SequenceB(0)] : [TemplatePiece.SequenceA()];
        var numSpecial = 0;
        foreach (var piece in pieces)
            if (piece.IsSpecial) numSpecial++;
        var (keepA, keepB) = TruncatedLengths(first.Count, second?.Count ?? 0, isPair, numSpecial, options);

        var length = keepA + keepB + numSpecial;
        var ids = new int[length];
        var types = new int[length];
        var specialMask = new int[length];
        var sequenceIds = new int[length];
        var tokens = new string[length];
        var offsets = options.ReturnOffsets ? new (int, int)[length] : null;
        var at = 0;
        foreach (var piece in pieces)
        {
            if (piece.IsSpecial)
            {
                ids[at] = piece.SpecialId;
                types[at] = piece.TypeId;
                specialMask[at] = 1;
                sequenceIds[at] = -1;
                tokens[at] = IdToToken(piece.SpecialId) ?? string.Empty;
                at++;
                continue;
            }
            var source = piece.Sequence == 0 ? first : second!;
            var keep = piece.Sequence == 0 ? keepA : keepB;
            for (var i = 0; i < keep; i++, at++)
            {
                ids[at] = source.Ids[i];
                types[at] = piece.TypeId;
                sequenceIds[at] = piece.Sequence;
                tokens[at] = IdToToken(source.Ids[i]) ?? string.Empty;
                if (offsets != null) offsets[at] = (source.Starts[i], source.Ends[i]);
            }
        }
        var mask = new int[length];
        mask.AsSpan().Fill(1);
        var removed = first.Count - keepA + (second?.Count ?? 0) - keepB;
        return new Encoding(ids, mask, types, specialMask, sequenceIds, tokens, offsets, removed);
    }

    private (int KeepA, int KeepB) TruncatedLengths(int lengthA, int lengthB, bool isPair, int numSpecial, EncodeOptions options)
    {
        var strategy = options.Truncation ?? (options.MaxLength.HasValue ? TruncationStrategy.LongestFirst : TruncationStrategy.DoNotTruncate);
        if (strategy == TruncationStrategy.DoNotTruncate) return (lengthA, lengthB);
        var maxLength = options.MaxLength ?? ModelMaxLength;
        var remove = (long)lengthA + lengthB + numSpecial - maxLength;
        if (remove <= 0) return (lengthA, lengthB);
        var r = (int)remove;

        // As transformers' truncate_sequences: a segment too short to give up r tokens is left whole.
        if (strategy == TruncationStrategy.OnlyFirst || (strategy == TruncationStrategy.LongestFirst && !isPair))
            return lengthA > r ? (lengthA - r, lengthB) : (lengthA, lengthB);
        if (strategy == TruncationStrategy.OnlySecond)
            return isPair && lengthB > r ? (lengthA, lengthB - r) : (lengthA, lengthB);

        if ((options.LongestFirstRule ?? DefaultLongestFirstRule) == LongestFirstRule.RustTokenizers)
        {
            var budget = Math.Max(0, maxLength - numSpecial);
            var swap = lengthA > lengthB;
            var (shorter, longer) = swap ? (lengthB, lengthA) : (lengthA, lengthB);
            if (shorter > budget / 2) (shorter, longer) = (budget / 2, budget / 2 + budget % 2);
            else longer = budget - shorter;
            return swap ? (longer, shorter) : (shorter, longer);
        }

        // transformers 4.48 slow tokenizers, closed form of removing one token at a time from the longer segment.
        var difference = Math.Min(Math.Abs(lengthA - lengthB), r);
        var rest = r - difference;
        int removeA, removeB;
        if (lengthA > lengthB)
        {
            removeA = difference + rest / 2;
            removeB = rest - rest / 2;
        }
        else
        {
            removeA = rest / 2;
            removeB = difference + rest - rest / 2;
        }
        return (Math.Max(0, lengthA - removeA), Math.Max(0, lengthB - removeB));
    }

    private int PaddedLength(int length, EncodeOptions options)
    {
        if (options.Padding == PaddingStrategy.DoNotPad) return length;
        var target = options.Padding == PaddingStrategy.MaxLength
            ? options.MaxLength ?? (ModelMaxLength < int.MaxValue ? ModelMaxLength : length)
            : length;
        target = Math.Max(target, length);
        if (options.PadToMultipleOf is > 0 and var multiple && target % multiple != 0) target = (target / multiple + 1) * multiple;
        return target;
    }

    private void Pad(Encoding encoding, int length, EncodeOptions options)
    {
        if (length <= encoding.Length) return;
        if (PadTokenId is not { } padId)
            throw new InvalidOperationException($"{TokenizerClass} has no pad_token, so it cannot pad ({options.Padding}).");
        encoding.PadTo(length, padId, PadToken!);
    }

    /// <summary>Decodes UTF-8 bytes, replacing invalid sequences with U+FFFD as Python's <c>errors="replace"</c> does.</summary>
    private protected static string DecodeUtf8(List<byte> bytes) => System.Text.Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
}
