using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Randomness;
using Classify.HuggingFace.Tokenization;

namespace Classify.Transformers.Pretraining;

/// <summary>
/// The examples of a pretraining run: the texts of <see cref="PretrainingArguments.DataPath"/>, read streamed (a
/// <c>.txt</c> file line by line, a CSV/TSV/JSONL file through <see cref="RecordReader"/> and its text column), tokenized
/// into <see cref="MlmExamples"/> (one per text, or <c>group_texts</c> blocks), and split into training and held-out
/// examples by a seeded permutation (purpose <c>mlm-validation</c>), so the split is the same on every run and resume.
/// </summary>
public sealed class MlmCorpus
{
    /// <summary>Examples with fewer content tokens (special tokens not counted) are dropped in line-by-line mode.</summary>
    public const int MinimumTokens = 2;

    private MlmCorpus(IReadOnlyList<int[]> train, IReadOnlyList<int[]> validation, long textsRead, long textsSkipped, long tokens)
    {
        Train = train;
        Validation = validation;
        TextsRead = textsRead;
        TextsSkipped = textsSkipped;
        Tokens = tokens;
    }

    /// <summary>Training examples (token ids with special tokens).</summary>
    public IReadOnlyList<int[]> Train { get; }
    /// <summary>Held-out examples for the MLM loss and perplexity.</summary>
    public IReadOnlyList<int[]> Validation { get; }
    /// <summary>Non-blank texts read.</summary>
    public long TextsRead { get; }
    /// <summary>Texts dropped (blank, or shorter than <see cref="MinimumTokens"/> in line-by-line mode).</summary>
    public long TextsSkipped { get; }
    /// <summary>Tokens in all examples.</summary>
    public long Tokens { get; }

    /// <summary>The texts of the corpus, streamed (at most <see cref="PretrainingArguments.MaxTexts"/>; null where a JSON Lines row lacks the column).</summary>
    /// <exception cref="InputException">A missing file, a missing text column or a malformed row.</exception>
    public static IEnumerable<string?> ReadTexts(PretrainingArguments args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var path = args.DataPath;
        if (!File.Exists(path)) throw args.Error("data.path", $"data file not found: {path}");
        bool plain = args.Format == "txt" || (args.Format is null && Path.GetExtension(path).Equals(".txt", StringComparison.OrdinalIgnoreCase));
        long taken = 0;
        if (plain)
        {
            foreach (var line in File.ReadLines(path, AtomicFile.Utf8))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (args.MaxTexts is int max && taken >= max) yield break;
                taken++;
                yield return line;
            }
            yield break;
        }
        var options = new RecordReaderOptions { Format = args.Format is null ? null : DataFormats.Parse(args.Format) };
        using var reader = RecordReader.Open(path, options);
        int column = reader.Columns.IndexOf(args.TextColumn);
        if (column < 0)
            throw args.Error("data.text_col", $"no column '{args.TextColumn}' in {path}; its columns are {reader.Columns.Describe()}");
        foreach (var record in reader.ReadAll(cancellationToken))
        {
            if (args.MaxTexts is int max && taken >= max) yield break;
            taken++;
            // A JSON Lines object may have other keys than the first one: look the column up by name then.
            yield return ReferenceEquals(record.Columns, reader.Columns) ? record[column] : record.TryGetValue(args.TextColumn, out var v) ? v : null;
        }
    }

    /// <summary>
    /// Reads, tokenizes and splits the corpus. Blank texts are skipped; in line-by-line mode so is every text with fewer
    /// than <see cref="MinimumTokens"/> content tokens.
    /// </summary>
    /// <exception cref="InputException">An empty corpus, no text long enough, or too few tokens for one block.</exception>
    public static MlmCorpus Build(PreTrainedTokenizer tokenizer, PretrainingArguments args, int maxLength, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(args);
        long read = 0, skipped = 0, blank = 0;
        var special = tokenizer.AllSpecialIds;
        var truncate = new EncodeOptions { MaxLength = maxLength, Truncation = TruncationStrategy.LongestFirst };
        List<int[]> examples;
        IEnumerable<IReadOnlyList<int>> Tokenized()
        {
            foreach (var text in ReadTexts(args, cancellationToken))
            {
                if (string.IsNullOrWhiteSpace(text)) { blank++; continue; }
                read++;
                var ids = args.LineByLine ? tokenizer.Encode(text, null, truncate).InputIds : tokenizer.Encode(text).InputIds;
                if (args.LineByLine && ids.Count(id => !special.Contains(id)) < MinimumTokens) { skipped++; continue; }
                yield return ids;
            }
        }
        examples = args.LineByLine ? Tokenized().Select(ids => (int[])ids).ToList() : MlmExamples.Group(Tokenized(), maxLength);

        if (read == 0)
            throw args.Error("data.path", $"the corpus {args.DataPath} has no text" + (blank > 0 ? $" ({blank:N0} blank)" : "") +
                                          (args.LineByLine || args.Format == "txt" || args.DataPath.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) ? "" : $" in column '{args.TextColumn}'"));
        if (examples.Count == 0)
            throw args.LineByLine
                ? args.Error("data.path", $"every one of the {read:N0} texts of {args.DataPath} is shorter than {MinimumTokens} tokens; there is nothing to learn from")
                : args.Error("pretrain.max_length", $"the {read:N0} texts of {args.DataPath} hold fewer tokens than one block of max_length {maxLength}; " +
                                                     "lower max_length or set line_by_line: true");

        var (train, validation) = Split(examples, args.ValidationFraction, args.Seed);
        return new MlmCorpus(train, validation, read, skipped + blank, examples.Sum(e => (long)e.Length));
    }

    /// <summary>
    /// Holds out <c>round(fraction·n)</c> examples (at least one when the fraction is positive and there are two or more),
    /// chosen by a permutation seeded with (seed, <c>mlm-validation</c>); both parts keep the corpus order.
    /// </summary>
    public static (List<int[]> Train, List<int[]> Validation) Split(IReadOnlyList<int[]> examples, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int n = examples.Count;
        int held = fraction <= 0 || n < 2 ? 0 : Math.Clamp((int)Math.Round(fraction * n), 1, n - 1);
        if (held == 0) return (examples.ToList(), []);
        var permutation = SeededRandom.ForPurpose((ulong)(uint)seed, "mlm-validation").Permutation(n);
        var isHeld = new bool[n];
        foreach (var i in permutation.Take(held)) isHeld[i] = true;
        var train = new List<int[]>(n - held);
        var validation = new List<int[]>(held);
        for (int i = 0; i < n; i++) (isHeld[i] ? validation : train).Add(examples[i]);
        return (train, validation);
    }
}
