using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Classify.Core.IO;

namespace Classify.Linear.FeatureExtraction;

/// <summary>What a term is (scikit-learn's <c>analyzer</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TfidfAnalyzer>))]
public enum TfidfAnalyzer
{
    /// <summary>Word n-grams of the tokens found by <see cref="TfidfVectorizerOptions.TokenPattern"/>.</summary>
    [JsonStringEnumMemberName("word")] Word,
    /// <summary>Character n-grams over the whole text (runs of whitespace count as one space).</summary>
    [JsonStringEnumMemberName("char")] Char,
    /// <summary>Character n-grams inside words only, each word padded with one space on either side.</summary>
    [JsonStringEnumMemberName("char_wb")] CharWb,
}

/// <summary>Row normalisation (scikit-learn's <c>norm</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TfidfNorm>))]
public enum TfidfNorm
{
    /// <summary>Each row is scaled to unit Euclidean length.</summary>
    [JsonStringEnumMemberName("l2")] L2,
    /// <summary>Each row is scaled so that its absolute values sum to 1.</summary>
    [JsonStringEnumMemberName("l1")] L1,
    /// <summary>No normalisation (<c>norm=None</c>).</summary>
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>Accent removal before tokenising (scikit-learn's <c>strip_accents</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AccentStripping>))]
public enum AccentStripping
{
    /// <summary>NFKD, then every non-ASCII character is dropped (fast, only for Latin text).</summary>
    [JsonStringEnumMemberName("ascii")] Ascii,
    /// <summary>NFKD, then every combining character is dropped (works for any script).</summary>
    [JsonStringEnumMemberName("unicode")] Unicode,
}

/// <summary>
/// The n-gram lengths to extract, both inclusive (scikit-learn's <c>ngram_range=(min_n, max_n)</c>);
/// JSON form <c>[min, max]</c>.
/// </summary>
[JsonConverter(typeof(NgramRangeJsonConverter))]
public readonly record struct NgramRange(int Min, int Max)
{
    /// <summary>The text form <c>(min, max)</c>.</summary>
    public override string ToString() => $"({Min}, {Max})";
}

/// <summary>
/// A <c>min_df</c> / <c>max_df</c> bound: an absolute document count (a JSON integer such as <c>2</c>) or a fraction of
/// the documents (a JSON number with a point or exponent such as <c>0.95</c> or <c>1.0</c>), exactly as scikit-learn
/// tells an <c>int</c> from a <c>float</c>.
/// </summary>
[JsonConverter(typeof(DocumentFrequencyJsonConverter))]
public readonly record struct DocumentFrequency
{
    private DocumentFrequency(double value, bool isFraction)
    {
        Value = value;
        IsFraction = isFraction;
    }

    /// <summary>The count, or the fraction in [0, 1].</summary>
    public double Value { get; }
    /// <summary>True for a fraction of the documents, false for an absolute count.</summary>
    public bool IsFraction { get; }

    /// <summary>An absolute number of documents (scikit-learn: an <c>int</c>).</summary>
    public static DocumentFrequency Count(int documents) =>
        documents >= 0 ? new(documents, false) : throw new ArgumentOutOfRangeException(nameof(documents), "A document count cannot be negative.");

    /// <summary>A fraction of the documents in [0, 1] (scikit-learn: a <c>float</c>).</summary>
    public static DocumentFrequency Fraction(double fraction) =>
        fraction is >= 0 and <= 1 ? new(fraction, true) : throw new ArgumentOutOfRangeException(nameof(fraction), "A document fraction must lie in [0, 1].");

    /// <summary>Parses the Python/YAML spelling: <c>"2"</c> is a count, <c>"0.95"</c>, <c>"1.0"</c> or <c>"1e-3"</c> a fraction.</summary>
    public static DocumentFrequency Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.AsSpan().IndexOfAny(".eE") < 0 && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int count) && count >= 0)
            return Count(count);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double fraction) && fraction is >= 0 and <= 1)
            return Fraction(fraction);
        throw new FormatException($"'{text}' is neither a document count (integer ≥ 0) nor a fraction in [0, 1].");
    }

    /// <summary>The number of documents this bound stands for in a corpus of <paramref name="documents"/>.</summary>
    public double ToDocumentCount(int documents) => IsFraction ? Value * documents : Value;

    /// <summary>Python spelling: <c>2</c> or <c>0.95</c> / <c>1.0</c>.</summary>
    public override string ToString() => IsFraction
        ? (Value == Math.Floor(Value) ? Value.ToString("0.0", CultureInfo.InvariantCulture) : Value.ToString("R", CultureInfo.InvariantCulture))
        : ((long)Value).ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Options of <see cref="TfidfVectorizer"/>, named and defaulted as scikit-learn's <c>TfidfVectorizer</c>
/// (version 1.2). JSON property names are scikit-learn's parameter names.
/// </summary>
public sealed record TfidfVectorizerOptions
{
    /// <summary>scikit-learn's default token pattern: words of two or more word characters.</summary>
    public const string DefaultTokenPattern = @"(?u)\b\w\w+\b";

    /// <summary>Lower-case the text before tokenising (Python <c>str.lower</c> semantics).</summary>
    [JsonPropertyName("lowercase")] public bool Lowercase { get; init; } = true;

    /// <summary>
    /// Python regular expression whose matches are the tokens (analyzer <c>word</c> only). With one capturing group the
    /// group is the token. <c>\w</c>, <c>\b</c> and <c>\s</c> follow Python's Unicode definitions.
    /// </summary>
    [JsonPropertyName("token_pattern")] public string TokenPattern { get; init; } = DefaultTokenPattern;

    /// <summary>The n-gram lengths to extract.</summary>
    [JsonPropertyName("ngram_range")] public NgramRange NgramRange { get; init; } = new(1, 1);

    /// <summary>Word or character n-grams.</summary>
    [JsonPropertyName("analyzer")] public TfidfAnalyzer Analyzer { get; init; } = TfidfAnalyzer.Word;

    /// <summary>Drop terms found in fewer documents than this (count or fraction).</summary>
    [JsonPropertyName("min_df")] public DocumentFrequency MinDf { get; init; } = DocumentFrequency.Count(1);

    /// <summary>Drop terms found in more documents than this (count or fraction).</summary>
    [JsonPropertyName("max_df")] public DocumentFrequency MaxDf { get; init; } = DocumentFrequency.Fraction(1.0);

    /// <summary>Keep only the this many terms with the highest corpus frequency (after min_df/max_df); null keeps all.</summary>
    [JsonPropertyName("max_features")] public int? MaxFeatures { get; init; }

    /// <summary>Null, or <c>"english"</c> for scikit-learn's ENGLISH_STOP_WORDS (removed from the tokens before n-grams; word analyzer only).</summary>
    [JsonPropertyName("stop_words")] public string? StopWords { get; init; }

    /// <summary>Use <c>1 + ln(tf)</c> instead of the raw count.</summary>
    [JsonPropertyName("sublinear_tf")] public bool SublinearTf { get; init; }

    /// <summary>Add one to every document frequency and to the document count, as if one extra document held every term.</summary>
    [JsonPropertyName("smooth_idf")] public bool SmoothIdf { get; init; } = true;

    /// <summary>Weight by inverse document frequency.</summary>
    [JsonPropertyName("use_idf")] public bool UseIdf { get; init; } = true;

    /// <summary>Row normalisation.</summary>
    [JsonPropertyName("norm")] public TfidfNorm Norm { get; init; } = TfidfNorm.L2;

    /// <summary>Use 1 for every present term instead of its count.</summary>
    [JsonPropertyName("binary")] public bool Binary { get; init; }

    /// <summary>Null (keep accents), ascii or unicode.</summary>
    [JsonPropertyName("strip_accents")] public AccentStripping? StripAccents { get; init; }

    /// <summary>A fixed vocabulary: these terms, in this column order, and no others (null: learn it from the data).</summary>
    [JsonPropertyName("vocabulary")] public IReadOnlyList<string>? Vocabulary { get; init; }

    /// <summary>
    /// Word + character union: when set (e.g. <c>[3, 3]</c>), a second TF-IDF block of character n-grams of these lengths
    /// is fitted beside the word block (the options above, <c>analyzer: word</c>). Each block has its own vocabulary and
    /// idf, is weighted (tf, sublinear, idf) and normalised by <see cref="Norm"/> on its own, and is then scaled by
    /// 1/√2 (l2; 1/2 for l1), so a row of the union has unit norm and the two blocks weigh the same whatever the
    /// document's length (scikit-learn: <c>FeatureUnion</c> of the two vectorizers with <c>transformer_weights</c> 1/√2).
    /// Null (the default): words only, exactly scikit-learn's <c>TfidfVectorizer</c>.
    /// </summary>
    [JsonPropertyName("char_ngram_range"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public NgramRange? CharNgramRange { get; init; }

    /// <summary>The union's character analyzer: <c>char</c> (across word boundaries, as ML.NET's FeaturizeText) or <c>char_wb</c>; null means <c>char</c>.</summary>
    [JsonPropertyName("char_analyzer"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TfidfAnalyzer? CharAnalyzer { get; init; }

    /// <summary>The union's character block <c>min_df</c>; null means the same as <see cref="MinDf"/>.</summary>
    [JsonPropertyName("char_min_df"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DocumentFrequency? CharMinDf { get; init; }

    /// <summary>The union's character block <c>max_features</c> (the most frequent character n-grams); null keeps all.</summary>
    [JsonPropertyName("char_max_features"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? CharMaxFeatures { get; init; }

    /// <summary>True when a character block is fitted beside the word block.</summary>
    [JsonIgnore] public bool IsUnion => CharNgramRange is not null;

    /// <summary>The word block of a union: these options without the character keys.</summary>
    internal TfidfVectorizerOptions WordBlock() => this with { CharNgramRange = null, CharAnalyzer = null, CharMinDf = null, CharMaxFeatures = null };

    /// <summary>The character block of a union: a plain vectorizer of the character n-grams, sharing preprocessing, df bounds and weighting.</summary>
    internal TfidfVectorizerOptions CharBlock() => WordBlock() with
    {
        Analyzer = CharAnalyzer ?? TfidfAnalyzer.Char,
        NgramRange = CharNgramRange ?? throw new InvalidOperationException("Not a union."),
        MinDf = CharMinDf ?? MinDf,
        MaxFeatures = CharMaxFeatures,
        StopWords = null,
        TokenPattern = DefaultTokenPattern,
    };

    /// <summary>Throws <see cref="InputException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (CharNgramRange is null && (CharAnalyzer is not null || CharMinDf is not null || CharMaxFeatures is not null))
            throw new InputException("char_analyzer, char_min_df and char_max_features need char_ngram_range (the word + character union).", field: "char_ngram_range");
        if (CharNgramRange is { } range)
        {
            if (range.Min < 1 || range.Max < range.Min)
                throw new InputException($"char_ngram_range {range} is invalid: need 1 <= min_n <= max_n.", field: "char_ngram_range");
            if (Analyzer != TfidfAnalyzer.Word)
                throw new InputException("char_ngram_range adds characters to words: it needs analyzer: word (for characters alone, use analyzer: char or char_wb).", field: "char_ngram_range");
            if (CharAnalyzer is TfidfAnalyzer.Word)
                throw new InputException("char_analyzer must be char or char_wb.", field: "char_analyzer");
            if (CharMaxFeatures is <= 0)
                throw new InputException($"char_max_features must be a positive integer or null, got {CharMaxFeatures}.", field: "char_max_features");
            if (Vocabulary is not null)
                throw new InputException("A fixed vocabulary cannot be combined with char_ngram_range.", field: "vocabulary");
        }
        if (NgramRange.Min < 1 || NgramRange.Max < NgramRange.Min)
            throw new InputException($"ngram_range {NgramRange} is invalid: need 1 <= min_n <= max_n.", field: "ngram_range");
        if (MaxFeatures is <= 0)
            throw new InputException($"max_features must be a positive integer or null, got {MaxFeatures}.", field: "max_features");
        if (StopWords is not null and not "english")
            throw new InputException($"stop_words must be null or \"english\", got \"{StopWords}\".", field: "stop_words");
        if (Analyzer == TfidfAnalyzer.Word && string.IsNullOrEmpty(TokenPattern))
            throw new InputException("token_pattern must not be empty for the word analyzer.", field: "token_pattern");
        if (Vocabulary is { Count: 0 })
            throw new InputException("The fixed vocabulary is empty.", field: "vocabulary");
        if (Vocabulary is not null && Vocabulary.Distinct(StringComparer.Ordinal).Count() != Vocabulary.Count)
            throw new InputException("The fixed vocabulary contains a term twice.", field: "vocabulary");
    }
}

internal sealed class NgramRangeJsonConverter : JsonConverter<NgramRange>
{
    public override NgramRange Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("ngram_range must be an array [min_n, max_n].");
        reader.Read();
        int min = reader.GetInt32();
        reader.Read();
        int max = reader.GetInt32();
        reader.Read();
        if (reader.TokenType != JsonTokenType.EndArray) throw new JsonException("ngram_range must have exactly two entries.");
        return new NgramRange(min, max);
    }

    public override void Write(Utf8JsonWriter writer, NgramRange value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.Min);
        writer.WriteNumberValue(value.Max);
        writer.WriteEndArray();
    }
}

internal sealed class DocumentFrequencyJsonConverter : JsonConverter<DocumentFrequency>
{
    public override DocumentFrequency Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string text = reader.TokenType switch
        {
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray()),
            JsonTokenType.String => reader.GetString()!,
            _ => throw new JsonException("min_df/max_df must be a number."),
        };
        try { return DocumentFrequency.Parse(text); }
        catch (FormatException e) { throw new JsonException(e.Message, e); }
    }

    public override void Write(Utf8JsonWriter writer, DocumentFrequency value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.ToString(), skipInputValidation: true);
}
