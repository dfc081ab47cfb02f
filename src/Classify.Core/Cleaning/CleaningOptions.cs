using System.Text.Json.Serialization;

namespace Classify.Core.Cleaning;

/// <summary>
/// Which text-cleaning steps run; <see cref="TextCleaner"/> applies them in the fixed order listed here. Every step is off by default so that a model
/// sees the text as written unless the config asks otherwise. Stored in classify.json so a Predictor cleans
/// new text exactly as the training text was cleaned.
/// </summary>
public sealed record CleaningOptions
{
    /// <summary>Decode HTML entities (<c>&amp;amp;</c> → <c>&amp;</c>) and strip HTML tags.</summary>
    [JsonPropertyName("html")] public bool Html { get; init; }
    /// <summary>Remove URLs (http(s)://…, www.…).</summary>
    [JsonPropertyName("urls")] public bool Urls { get; init; }
    /// <summary>Remove @mentions.</summary>
    [JsonPropertyName("mentions")] public bool Mentions { get; init; }
    /// <summary>Turn #hashtags into their word (the '#' is dropped, the word kept).</summary>
    [JsonPropertyName("hashtags")] public bool Hashtags { get; init; }
    /// <summary>Remove control and format characters (keeps tab and newline as spaces).</summary>
    [JsonPropertyName("control_chars")] public bool ControlCharacters { get; init; }
    /// <summary>Cap character elongation: 3 or more repeats of a character become 2 (<c>sooooo</c> → <c>soo</c>).</summary>
    [JsonPropertyName("elongation")] public bool Elongation { get; init; }
    /// <summary>Lowercase (invariant culture).</summary>
    [JsonPropertyName("lowercase")] public bool Lowercase { get; init; }
    /// <summary>Remove English stop words (scikit-learn's ENGLISH_STOP_WORDS list).</summary>
    [JsonPropertyName("stop_words")] public bool StopWords { get; init; }
    /// <summary>Porter-stem every word (NLTK's <c>PorterStemmer()</c> default mode; see <see cref="PorterStemmer"/>).</summary>
    [JsonPropertyName("stem")] public bool Stem { get; init; }
    /// <summary>Collapse runs of whitespace to one space and trim (always the last step).</summary>
    [JsonPropertyName("whitespace")] public bool Whitespace { get; init; }

    /// <summary>No cleaning at all.</summary>
    public static CleaningOptions None { get; } = new();

    /// <summary>True when at least one step is on.</summary>
    [JsonIgnore]
    public bool Any => Html || Urls || Mentions || Hashtags || ControlCharacters || Whitespace || Elongation || Lowercase || StopWords || Stem;
}
