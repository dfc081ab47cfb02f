using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.HuggingFace.Tokenization.Bpe;
using Classify.HuggingFace.Tokenization.Unicode;

namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// transformers' slow <c>RobertaTokenizer</c> (GPT-2 byte-level BPE) from <c>vocab.json</c> and <c>merges.txt</c>:
/// <c>add_prefix_space</c> from the config (default false), &lt;mask&gt; with lstrip, layout
/// <c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c>, every type id 0.
/// </summary>
public sealed class RobertaTokenizer : PreTrainedTokenizer
{
    /// <summary>The vocabulary file name.</summary>
    public const string VocabFileName = "vocab.json";
    /// <summary>The merges file name.</summary>
    public const string MergesFileName = "merges.txt";

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _idToToken = [];
    private readonly AddedTokenMatcher _addedTokens;
    private readonly BytePairEncoder _bpe;
    private readonly string _tokenizerClass;
    private readonly int _count;

    /// <summary>Loads <c>vocab.json</c>, <c>merges.txt</c> and, when present, <c>tokenizer_config.json</c> / <c>special_tokens_map.json</c>.</summary>
    public RobertaTokenizer(string directory)
    {
        var vocabPath = Path.Combine(directory, VocabFileName);
        var mergesPath = Path.Combine(directory, MergesFileName);
        _vocab = ReadVocab(vocabPath);
        foreach (var (token, id) in _vocab) _idToToken[id] = token;
        var merges = ReadMerges(mergesPath);

        var config = TokenizerConfig.Load(directory);
        _tokenizerClass = config.TokenizerClass ?? "RobertaTokenizer";
        ModelMaxLength = config.ModelMaxLength;
        CleanUpTokenizationSpaces = config.GetBool("clean_up_tokenization_spaces") ?? false;
        ModelInputNames = config.GetStringArray("model_input_names") ?? ["input_ids", "attention_mask"];
        AddPrefixSpace = config.GetBool("add_prefix_space") ?? false;

        var nextId = _vocab.Count == 0 ? 0 : _vocab.Values.Max() + 1;
        var added = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var t in config.AddedTokensDecoder()) added[t.Content] = t;
        var named = new Dictionary<string, AddedToken>();
        foreach (var (key, fallback) in new[]
                 {
                     ("bos_token", "<s>"), ("eos_token", "</s>"), ("unk_token", "<unk>"), ("sep_token", "</s>"),
                     ("cls_token", "<s>"), ("pad_token", "<pad>"), ("mask_token", "<mask>"),
                 })
        {
            if (config.GetSpecialToken(key, fallback, defaultLStrip: key == "mask_token") is not { } spec) continue;
            if (!added.TryGetValue(spec.Content, out var token))
            {
                var id = _vocab.TryGetValue(spec.Content, out var v) ? v : nextId++;
                token = new AddedToken(spec.Content, id, Special: true, spec.LStrip, spec.RStrip);
                added[spec.Content] = token;
            }
            named[key] = token;
        }
        foreach (var t in added.Values)
        {
            _idToToken[t.Id] = t.Content;
            nextId = Math.Max(nextId, t.Id + 1);
        }
        _count = nextId;
        SetSpecialTokens(named, added.Values);
        _addedTokens = new AddedTokenMatcher(added.Values, CharClass.IsPythonSpace);
        _bpe = new BytePairEncoder(_vocab, merges, UnkTokenId);
        Template = PostProcessorTemplate.Roberta(
            ClsTokenId ?? throw new InputException("RoBERTa needs a cls_token", directory, field: "cls_token"),
            SepTokenId ?? throw new InputException("RoBERTa needs a sep_token", directory, field: "sep_token"));

        KeepSourceFile(directory, VocabFileName);
        KeepSourceFile(directory, MergesFileName);
        KeepSourceFile(directory, TokenizerConfig.FileName);
        KeepSourceFile(directory, TokenizerConfig.SpecialTokensMapFileName);
    }

    /// <inheritdoc />
    public override string TokenizerClass => _tokenizerClass;

    /// <inheritdoc />
    public override int VocabSize => _vocab.Count;

    /// <inheritdoc />
    public override int Count => _count;

    /// <summary><c>add_prefix_space</c>: prepend a space to a text that does not start with whitespace, so its first word is encoded like any other.</summary>
    public bool AddPrefixSpace { get; }

    /// <inheritdoc />
    public override int? TokenToId(string token) =>
        AddedTokens.FirstOrDefault(t => t.Content == token)?.Id ?? (_vocab.TryGetValue(token, out var id) ? id : null);

    /// <inheritdoc />
    public override string? IdToToken(int id) => _idToToken.GetValueOrDefault(id);

    private protected override void TokenizeInto(string text, TokenBuffer output)
    {
        // prepare_for_tokenization: the prefix space is virtual here, so offsets stay in the caller's text.
        var prefix = AddPrefixSpace && text.Length > 0 && !CharClass.IsPythonSpace(text[0]);
        var source = prefix ? " " + text : text;
        var shift = prefix ? -1 : 0;
        var first = output.Count;
        if (!_addedTokens.MightMatch(source)) _bpe.EncodeText(source, shift, output);
        else
        {
            var pieces = new List<(int Start, int End, AddedToken? Token)>();
            _addedTokens.Split(source, pieces);
            foreach (var (start, end, token) in pieces)
            {
                if (token != null) output.Add(token.Id, start + shift, end + shift);
                else _bpe.EncodeText(source.AsSpan(start, end - start), start + shift, output);
            }
        }
        if (prefix)
            for (var i = first; i < output.Count; i++) output.Starts[i] = Math.Max(0, output.Starts[i]);
    }

    private protected override string DecodeCore(IReadOnlyList<int> ids, bool skipSpecialTokens) =>
        DecodeSlow(ids, skipSpecialTokens, tokens =>
        {
            var bytes = new List<byte>();
            foreach (var token in tokens) ByteLevel.AppendTokenBytes(token, bytes);
            return DecodeUtf8(bytes);
        });

    private protected override void WriteConfig(JsonObject config) => config["add_prefix_space"] = AddPrefixSpace;

    private static Dictionary<string, int> ReadVocab(string path)
    {
        if (!File.Exists(path)) throw new InputException("the BPE vocabulary is missing", path);
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(path))
                    ?? throw new InputException("expected a JSON object of token → id", path);
        }
        catch (JsonException e)
        {
            throw new InputException($"expected a JSON object of token → non-negative integer id: {e.Message}", path, e.LineNumber + 1, inner: e);
        }
        foreach (var (token, id) in vocab)
            if (id < 0) throw new InputException($"a token id must be a non-negative integer, found {id}", path, field: token);
        return vocab;
    }

    // As the slow tokenizer: drop the "#version" line and the empty string after the final newline, split on whitespace.
    private static List<(string, string)> ReadMerges(string path)
    {
        if (!File.Exists(path)) throw new InputException("the BPE merges file is missing", path);
        var lines = File.ReadAllText(path).Split(["\r\n", "\r", "\n"], StringSplitOptions.None);
        var merges = new List<(string, string)>(lines.Length);
        for (var i = 1; i < lines.Length - 1; i++)
        {
            var parts = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) throw new InputException("expected two symbols separated by a space", path, i + 1);
            merges.Add((parts[0], parts[1]));
        }
        return merges;
    }
}
