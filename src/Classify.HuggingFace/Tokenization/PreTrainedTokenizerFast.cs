using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.HuggingFace.Tokenization.Bpe;
using Classify.HuggingFace.Tokenization.Unicode;

namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// A tokenizer defined by a Rust <c>tokenizers</c> <c>tokenizer.json</c> (what transformers' <c>PreTrainedTokenizerFast</c>
/// runs), for byte-level BPE models such as ModernBERT, GPT-NeoX or RoBERTa's fast tokenizer. The pipeline follows
/// <c>Tokenizer.encode</c>: added tokens with <c>normalized: false</c> are cut out of the raw text (lstrip/rstrip over
/// Unicode White_Space), the rest is normalized (NFC/NFD or none), added tokens with <c>normalized: true</c> are cut
/// out of the normalized text, then the ByteLevel pre-tokenizer and BPE run, and the post-processor adds special tokens.
/// </summary>
public sealed class PreTrainedTokenizerFast : PreTrainedTokenizer
{
    /// <summary>The file name.</summary>
    public const string TokenizerFileName = "tokenizer.json";

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _idToToken = [];
    private readonly AddedTokenMatcher _rawAddedTokens;
    private readonly AddedTokenMatcher _normalizedAddedTokens;
    private readonly BytePairEncoder _bpe;
    private readonly string? _normalizer;
    private readonly bool _addPrefixSpace;
    private readonly string _tokenizerClass;
    private readonly int _count;

    /// <summary>Loads <c>tokenizer.json</c> and, when present, <c>tokenizer_config.json</c> / <c>special_tokens_map.json</c> from <paramref name="directory"/>.</summary>
    public PreTrainedTokenizerFast(string directory)
    {
        var path = Path.Combine(directory, TokenizerFileName);
        if (!File.Exists(path)) throw new InputException("the tokenizer definition is missing", path);
        var root = TokenizerConfig.ReadObject(path);

        var model = root["model"] as JsonObject ?? throw new InputException("expected a \"model\" object", path, field: "model");
        var modelType = model["type"]?.GetValue<string>();
        if (modelType != "BPE") throw new InputException($"model type {modelType ?? "null"} is not supported (only BPE)", path, field: "model.type");
        if (model["ignore_merges"]?.GetValue<bool>() == true || model["byte_fallback"]?.GetValue<bool>() == true
            || model["continuing_subword_prefix"]?.GetValue<string>() is { Length: > 0 } || model["end_of_word_suffix"]?.GetValue<string>() is { Length: > 0 }
            || model["dropout"] is JsonValue)
            throw new InputException("BPE options ignore_merges, byte_fallback, dropout and subword affixes are not supported", path, field: "model");
        _vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in model["vocab"] as JsonObject ?? throw new InputException("expected a vocab object", path, field: "model.vocab"))
            _vocab[token] = TokenizerConfig.ReadId(id, path, $"model.vocab.{token}");
        foreach (var (token, id) in _vocab) _idToToken[id] = token;
        var merges = ReadMerges(model["merges"] as JsonArray ?? throw new InputException("expected a merges array", path, field: "model.merges"), path);

        _normalizer = root["normalizer"] switch
        {
            null => null,
            JsonObject n when n["type"]?.GetValue<string>() is "NFC" or "NFD" => n["type"]!.GetValue<string>(),
            var n => throw new InputException($"normalizer {n.ToJsonString()} is not supported (only NFC, NFD or none)", path, field: "normalizer"),
        };
        if (root["pre_tokenizer"] is not JsonObject pre || pre["type"]?.GetValue<string>() != "ByteLevel" || pre["use_regex"]?.GetValue<bool>() == false)
            throw new InputException("only the ByteLevel pre-tokenizer with use_regex is supported", path, field: "pre_tokenizer");
        _addPrefixSpace = pre["add_prefix_space"]?.GetValue<bool>() ?? false;
        if (root["decoder"] is JsonObject decoder && decoder["type"]?.GetValue<string>() != "ByteLevel")
            throw new InputException("only the ByteLevel decoder is supported", path, field: "decoder");

        var added = new List<AddedToken>();
        foreach (var node in root["added_tokens"] as JsonArray ?? [])
        {
            if (node is not JsonObject t || t["id"] is null || t["content"] is null)
                throw new InputException("expected {\"id\", \"content\", …}", path, field: "added_tokens");
            added.Add(TokenizerConfig.ReadAddedToken(t, TokenizerConfig.ReadId(t["id"], path, "added_tokens.id")));
        }
        foreach (var t in added) _idToToken[t.Id] = t.Content;
        _count = _idToToken.Count == 0 ? 0 : _idToToken.Keys.Max() + 1;

        var config = TokenizerConfig.Load(directory);
        _tokenizerClass = config.TokenizerClass ?? "PreTrainedTokenizerFast";
        ModelMaxLength = config.ModelMaxLength;
        CleanUpTokenizationSpaces = config.GetBool("clean_up_tokenization_spaces") ?? false;
        ModelInputNames = config.GetStringArray("model_input_names") ?? ["input_ids", "attention_mask"];
        DefaultLongestFirstRule = LongestFirstRule.RustTokenizers;
        var named = new Dictionary<string, AddedToken>();
        foreach (var key in new[] { "bos_token", "eos_token", "unk_token", "sep_token", "cls_token", "pad_token", "mask_token" })
        {
            if (config.GetSpecialToken(key, null) is not { } spec) continue;
            var token = added.FirstOrDefault(t => t.Content == spec.Content)
                        ?? (_vocab.TryGetValue(spec.Content, out var id) ? new AddedToken(spec.Content, id, Special: true, spec.LStrip, spec.RStrip) : null);
            if (token != null) named[key] = token;
        }
        SetSpecialTokens(named, added);
        _rawAddedTokens = new AddedTokenMatcher(added.Where(t => !t.Normalized), CharClass.IsWhiteSpace);
        _normalizedAddedTokens = new AddedTokenMatcher(added.Where(t => t.Normalized), CharClass.IsWhiteSpace);
        var unk = model["unk_token"]?.GetValue<string>();
        _bpe = new BytePairEncoder(_vocab, merges, unk != null && _vocab.TryGetValue(unk, out var unkId) ? unkId : null);
        Template = ReadPostProcessor(root["post_processor"], path);

        KeepSourceFile(directory, TokenizerFileName);
        KeepSourceFile(directory, TokenizerConfig.FileName);
        KeepSourceFile(directory, TokenizerConfig.SpecialTokensMapFileName);
    }

    /// <inheritdoc />
    public override string TokenizerClass => _tokenizerClass;

    /// <summary><c>vocab_size</c>: the BPE model's vocabulary, without added tokens.</summary>
    public override int VocabSize => _vocab.Count;

    /// <inheritdoc />
    public override int Count => _count;

    /// <inheritdoc />
    public override int? TokenToId(string token) =>
        AddedTokens.FirstOrDefault(t => t.Content == token)?.Id ?? (_vocab.TryGetValue(token, out var id) ? id : null);

    /// <inheritdoc />
    public override string? IdToToken(int id) => _idToToken.GetValueOrDefault(id);

    private protected override void TokenizeInto(string text, TokenBuffer output)
    {
        if (!_rawAddedTokens.MightMatch(text))
        {
            EncodeNormalized(text, 0, text.Length, output);
            return;
        }
        var pieces = new List<(int Start, int End, AddedToken? Token)>();
        _rawAddedTokens.Split(text, pieces);
        foreach (var (start, end, token) in pieces)
        {
            if (token != null) output.Add(token.Id, start, end);
            else EncodeNormalized(text, start, end, output);
        }
    }

    // Normalizes one piece of the raw text, cuts out normalized added tokens, and runs the model on the rest.
    private void EncodeNormalized(string text, int start, int end, TokenBuffer output)
    {
        var piece = text.AsSpan(start, end - start);
        if (_normalizer is null || (_normalizer == "NFC" ? UnicodeNormalizer.IsTriviallyNfc(piece) : UnicodeNormalizer.IsTriviallyNormalized(piece)))
        {
            EncodeModel(piece, start, output);
            return;
        }
        var sourceStarts = new List<int>();
        var sourceEnds = new List<int>();
        var normalized = UnicodeNormalizer.Normalize(piece, _normalizer == "NFC", sourceStarts, sourceEnds);
        var first = output.Count;
        EncodeModel(normalized, 0, output);
        // Offsets into the normalized piece → offsets into the raw text.
        for (var i = first; i < output.Count; i++)
        {
            var s = output.Starts[i];
            var e = output.Ends[i];
            output.Starts[i] = start + (s < sourceStarts.Count ? sourceStarts[s] : piece.Length);
            output.Ends[i] = start + (e > 0 ? sourceEnds[e - 1] : 0);
        }
    }

    private void EncodeModel(ReadOnlySpan<char> normalized, int offset, TokenBuffer output)
    {
        if (!_normalizedAddedTokens.MightMatch(normalized))
        {
            EncodeBytes(normalized, offset, output);
            return;
        }
        var pieces = new List<(int Start, int End, AddedToken? Token)>();
        _normalizedAddedTokens.Split(normalized, pieces);
        foreach (var (start, end, token) in pieces)
        {
            if (token != null) output.Add(token.Id, offset + start, offset + end);
            else EncodeBytes(normalized[start..end], offset + start, output);
        }
    }

    private void EncodeBytes(ReadOnlySpan<char> text, int offset, TokenBuffer output)
    {
        if (_addPrefixSpace && text.Length > 0 && text[0] != ' ')
        {
            // add_prefix_space: the added space is virtual, so the first token's offsets start at the text.
            var first = output.Count;
            _bpe.EncodeText(" " + text.ToString(), offset - 1, output);
            for (var i = first; i < output.Count; i++) output.Starts[i] = Math.Max(offset, output.Starts[i]);
            return;
        }
        _bpe.EncodeText(text, offset, output);
    }

    // The Rust decode: drop special added tokens when asked, then the ByteLevel decoder over all tokens.
    private protected override string DecodeCore(IReadOnlyList<int> ids, bool skipSpecialTokens)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (skipSpecialTokens && AllSpecialIds.Contains(id)) continue;
            if (IdToToken(id) is { } token) ByteLevel.AppendTokenBytes(token, bytes);
        }
        return DecodeUtf8(bytes);
    }

    private static List<(string, string)> ReadMerges(JsonArray merges, string path)
    {
        var list = new List<(string, string)>(merges.Count);
        for (var i = 0; i < merges.Count; i++)
        {
            switch (merges[i])
            {
                case JsonValue v when v.GetValue<string>().Split(' ') is [var a, var b]:
                    list.Add((a, b));
                    break;
                case JsonArray { Count: 2 } pair:
                    list.Add((pair[0]!.GetValue<string>(), pair[1]!.GetValue<string>()));
                    break;
                default:
                    throw new InputException("expected \"first second\" or [first, second]", path, field: $"model.merges[{i}]");
            }
        }
        return list;
    }

    // TemplateProcessing, BertProcessing and RobertaProcessing; none means no special tokens.
    private static PostProcessorTemplate ReadPostProcessor(JsonNode? node, string path)
    {
        if (node is null) return new PostProcessorTemplate([TemplatePiece.SequenceA()], [TemplatePiece.SequenceA(), TemplatePiece.SequenceB(0)]);
        var type = node["type"]?.GetValue<string>();
        int IdOf(string key) => node[key]?[1]?.GetValue<int>() ?? throw new InputException($"expected \"{key}\": [token, id]", path, field: $"post_processor.{key}");
        switch (type)
        {
            case "BertProcessing":
                return PostProcessorTemplate.Bert(IdOf("cls"), IdOf("sep"));
            case "RobertaProcessing":
                return PostProcessorTemplate.Roberta(IdOf("cls"), IdOf("sep"));
            case "TemplateProcessing":
                var specials = node["special_tokens"] as JsonObject ?? [];
                TemplatePiece[] Read(string key)
                {
                    var pieces = new List<TemplatePiece>();
                    foreach (var item in node[key] as JsonArray ?? throw new InputException("expected an array", path, field: $"post_processor.{key}"))
                    {
                        if (item?["Sequence"] is JsonObject seq)
                        {
                            var typeId = seq["type_id"]?.GetValue<int>() ?? 0;
                            pieces.Add(seq["id"]?.GetValue<string>() == "B" ? TemplatePiece.SequenceB(typeId) : TemplatePiece.SequenceA(typeId));
                        }
                        else if (item?["SpecialToken"] is JsonObject special)
                        {
                            var name = special["id"]!.GetValue<string>();
                            var ids = specials[name]?["ids"] as JsonArray
                                      ?? throw new InputException($"special token {name} is not listed in special_tokens", path, field: $"post_processor.{key}");
                            foreach (var id in ids) pieces.Add(TemplatePiece.Special(id!.GetValue<int>(), special["type_id"]?.GetValue<int>() ?? 0));
                        }
                        else throw new InputException("expected Sequence or SpecialToken", path, field: $"post_processor.{key}");
                    }
                    return [.. pieces];
                }
                return new PostProcessorTemplate(Read("single"), Read("pair"));
            default:
                throw new InputException($"post-processor {type ?? "null"} is not supported", path, field: "post_processor");
        }
    }
}
