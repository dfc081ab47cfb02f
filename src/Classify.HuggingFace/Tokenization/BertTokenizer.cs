using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.HuggingFace.Tokenization.Unicode;
using Classify.HuggingFace.Tokenization.WordPiece;

namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// transformers' slow <c>BertTokenizer</c> (also <c>DistilBertTokenizer</c>): <c>vocab.txt</c> WordPiece behind BERT's
/// basic tokenizer, with the settings of <c>tokenizer_config.json</c> (<c>do_lower_case</c>, <c>strip_accents</c>,
/// <c>tokenize_chinese_chars</c>, <c>never_split</c>). Layout <c>[CLS] A [SEP] B [SEP]</c>, type ids 0 then 1.
/// </summary>
public sealed class BertTokenizer : PreTrainedTokenizer
{
    /// <summary>The vocabulary file name.</summary>
    public const string VocabFileName = "vocab.txt";

    private readonly string[] _idToToken;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _addedIdToToken = [];
    private readonly AddedTokenMatcher _addedTokens;
    private readonly BasicTokenizer _basic;
    private readonly WordpieceTokenizer _wordpiece;
    private readonly string _tokenizerClass;
    private readonly int _count;

    /// <summary>Loads <c>vocab.txt</c>, and <c>tokenizer_config.json</c> / <c>special_tokens_map.json</c> when present, from <paramref name="directory"/>.</summary>
    public BertTokenizer(string directory)
    {
        var vocabPath = Path.Combine(directory, VocabFileName);
        if (!File.Exists(vocabPath)) throw new InputException("the WordPiece vocabulary is missing", vocabPath);
        // As transformers' load_vocab: one token per line (universal newlines), a repeated token keeps its last index.
        _idToToken = File.ReadAllText(vocabPath).Split(["\r\n", "\r", "\n"], StringSplitOptions.None);
        if (_idToToken.Length > 0 && _idToToken[^1].Length == 0) _idToToken = _idToToken[..^1];
        _vocab = new Dictionary<string, int>(_idToToken.Length, StringComparer.Ordinal);
        for (var i = 0; i < _idToToken.Length; i++) _vocab[_idToToken[i]] = i;

        var config = TokenizerConfig.Load(directory);
        _tokenizerClass = config.TokenizerClass ?? "BertTokenizer";
        ModelMaxLength = config.ModelMaxLength;
        CleanUpTokenizationSpaces = config.GetBool("clean_up_tokenization_spaces") ?? false;
        ModelInputNames = config.GetStringArray("model_input_names")
                          ?? (_tokenizerClass.StartsWith("DistilBert", StringComparison.Ordinal)
                              ? ["input_ids", "attention_mask"]
                              : ["input_ids", "token_type_ids", "attention_mask"]);

        var nextId = _idToToken.Length;
        var added = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var t in config.AddedTokensDecoder()) added[t.Content] = t;
        var named = new Dictionary<string, AddedToken>();
        foreach (var (key, fallback) in new[] { ("unk_token", "[UNK]"), ("sep_token", "[SEP]"), ("pad_token", "[PAD]"), ("cls_token", "[CLS]"), ("mask_token", "[MASK]") })
        {
            if (config.GetSpecialToken(key, fallback) is not { } spec) continue;
            if (!added.TryGetValue(spec.Content, out var token))
            {
                // A special token missing from the vocabulary is appended after it, as transformers does.
                var id = _vocab.TryGetValue(spec.Content, out var v) ? v : nextId++;
                token = new AddedToken(spec.Content, id, Special: true, spec.LStrip, spec.RStrip);
                added[spec.Content] = token;
            }
            named[key] = token;
        }
        foreach (var t in added.Values)
        {
            if (!_vocab.ContainsKey(t.Content) || _vocab[t.Content] != t.Id) _addedIdToToken[t.Id] = t.Content;
            nextId = Math.Max(nextId, t.Id + 1);
        }
        _count = nextId;
        SetSpecialTokens(named, added.Values);
        _addedTokens = new AddedTokenMatcher(added.Values, CharClass.IsPythonSpace);

        var unkId = UnkTokenId ?? throw new InputException("BERT needs an unk_token", Path.Combine(directory, TokenizerConfig.FileName), field: "unk_token");
        var neverSplit = new HashSet<string>(config.GetStringArray("never_split") ?? [], StringComparer.Ordinal);
        neverSplit.UnionWith(named.Values.Select(t => t.Content));
        _basic = new BasicTokenizer(config.GetBool("do_lower_case") ?? true, config.GetBool("strip_accents"),
            config.GetBool("tokenize_chinese_chars") ?? true, neverSplit);
        _wordpiece = new WordpieceTokenizer(_vocab, unkId);
        Template = PostProcessorTemplate.Bert(
            ClsTokenId ?? throw new InputException("BERT needs a cls_token", directory, field: "cls_token"),
            SepTokenId ?? throw new InputException("BERT needs a sep_token", directory, field: "sep_token"));

        KeepSourceFile(directory, VocabFileName);
        KeepSourceFile(directory, TokenizerConfig.FileName);
        KeepSourceFile(directory, TokenizerConfig.SpecialTokensMapFileName);
    }

    /// <inheritdoc />
    public override string TokenizerClass => _tokenizerClass;

    /// <inheritdoc />
    public override int VocabSize => _idToToken.Length;

    /// <inheritdoc />
    public override int Count => _count;

    /// <summary><c>do_lower_case</c>.</summary>
    public bool DoLowerCase => _basic.DoLowerCase;

    /// <summary><c>strip_accents</c> as configured (null: follows <see cref="DoLowerCase"/>).</summary>
    public bool? StripAccents => _basic.StripAccents;

    /// <summary><c>tokenize_chinese_chars</c>.</summary>
    public bool TokenizeChineseChars => _basic.TokenizeChineseChars;

    /// <inheritdoc />
    public override int? TokenToId(string token) =>
        _vocab.TryGetValue(token, out var id) ? id : AddedTokens.FirstOrDefault(t => t.Content == token)?.Id;

    /// <inheritdoc />
    public override string? IdToToken(int id) =>
        _addedIdToToken.TryGetValue(id, out var added) ? added : (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    private protected override void TokenizeInto(string text, TokenBuffer output)
    {
        if (!_addedTokens.MightMatch(text))
        {
            _basic.Tokenize(text, 0, text.Length, _wordpiece, output);
            return;
        }
        var pieces = new List<(int Start, int End, AddedToken? Token)>();
        _addedTokens.Split(text, pieces);
        foreach (var (start, end, token) in pieces)
        {
            if (token != null) output.Add(token.Id, start, end);
            else _basic.Tokenize(text, start, end, _wordpiece, output);
        }
    }

    private protected override string DecodeCore(IReadOnlyList<int> ids, bool skipSpecialTokens) =>
        DecodeSlow(ids, skipSpecialTokens, tokens => string.Join(' ', tokens).Replace(" ##", "").Trim(PythonSpaces));

    private static readonly char[] PythonSpaces =
        [.. Enumerable.Range(0, 0x3001).Where(CharClass.IsPythonSpace).Select(c => (char)c)];

    private protected override void WriteConfig(JsonObject config)
    {
        config["do_lower_case"] = DoLowerCase;
        config["strip_accents"] = StripAccents;
        config["tokenize_chinese_chars"] = TokenizeChineseChars;
    }
}
