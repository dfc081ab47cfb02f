using Classify.Core.IO;

namespace Classify.HuggingFace.Tokenization;

/// <summary>
/// Picks the tokenizer class for a model folder from the files present, as transformers' <c>AutoTokenizer</c>:
/// <c>tokenizer.json</c> (a fast tokenizer) first, then <c>vocab.txt</c> (BERT WordPiece), then
/// <c>vocab.json</c> + <c>merges.txt</c> (RoBERTa byte-level BPE).
/// </summary>
public static class AutoTokenizer
{
    /// <summary>Loads the tokenizer stored in <paramref name="directory"/>.</summary>
    /// <exception cref="InputException">No tokenizer files are present, or they cannot be read.</exception>
    public static PreTrainedTokenizer FromPretrained(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        try
        {
            return Load(directory);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException or OverflowException)
        {
            // A JSON value of the wrong kind where a loader expected another (a number for a string, an object for a flag …).
            throw new InputException($"the tokenizer files are malformed: {e.Message}", directory, inner: e);
        }
    }

    private static PreTrainedTokenizer Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new InputException("the tokenizer folder does not exist", directory);
        bool Has(string name) => File.Exists(Path.Combine(directory, name));

        var tokenizerClass = TokenizerConfig.Load(directory).TokenizerClass ?? "";
        var wantsWordPiece = tokenizerClass.StartsWith("Bert", StringComparison.Ordinal) || tokenizerClass.StartsWith("DistilBert", StringComparison.Ordinal);
        // A tokenizer.json of a WordPiece model is served by the slow class when vocab.txt is beside it.
        if (Has(PreTrainedTokenizerFast.TokenizerFileName) && !(wantsWordPiece && Has(BertTokenizer.VocabFileName)))
            return new PreTrainedTokenizerFast(directory);
        if (Has(BertTokenizer.VocabFileName)) return new BertTokenizer(directory);
        if (Has(RobertaTokenizer.VocabFileName) && Has(RobertaTokenizer.MergesFileName)) return new RobertaTokenizer(directory);
        throw new InputException(
            $"no tokenizer files: expected {PreTrainedTokenizerFast.TokenizerFileName}, {BertTokenizer.VocabFileName}, or {RobertaTokenizer.VocabFileName} with {RobertaTokenizer.MergesFileName}",
            directory);
    }
}
