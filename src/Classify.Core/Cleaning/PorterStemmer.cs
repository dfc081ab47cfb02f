using System.Collections.Frozen;

namespace Classify.Core.Cleaning;

/// <summary>Which variant of the Porter algorithm <see cref="PorterStemmer"/> runs (NLTK's <c>mode</c> names).</summary>
public enum PorterStemmerMode
{
    /// <summary>
    /// NLTK's default <c>NLTK_EXTENSIONS</c>: Porter (1980) plus NLTK's fixes: irregular forms (<c>dying</c> → <c>die</c>,
    /// <c>skies</c> → <c>sky</c>), words of one or two letters left alone, <c>dies/died</c> → <c>die</c>,
    /// <c>y</c> → <c>i</c> only after a consonant, <c>bli</c> → <c>ble</c>, <c>fulli</c> → <c>ful</c>, <c>logi</c> → <c>log</c>,
    /// and <c>alli</c> → <c>al</c> applied first. This is what <c>nltk.stem.PorterStemmer()</c> gives in notebooks.
    /// </summary>
    NltkExtensions,
    /// <summary>The algorithm exactly as published: M.F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980.</summary>
    OriginalAlgorithm,
}

/// <summary>
/// The Porter stemmer, a faithful port of NLTK 3.8's <c>nltk.stem.porter.PorterStemmer</c> (both the default
/// <see cref="PorterStemmerMode.NltkExtensions"/> mode and <see cref="PorterStemmerMode.OriginalAlgorithm"/>).
/// Like NLTK's <c>stem(word)</c> the word is lower-cased first. Works in a stack buffer; thread-safe.
/// </summary>
public sealed class PorterStemmer
{
    // Each rule: suffix, replacement, condition on the stem left after removing the suffix.
    private enum Condition { None, MeasurePositive, MeasureAboveOne, IonStem, LogiStem }
    private readonly record struct Rule(string Suffix, string Replacement, Condition Condition);

    private static readonly FrozenDictionary<string, string> IrregularForms = new Dictionary<string, string>
    {
        ["sky"] = "sky", ["skies"] = "sky", ["dying"] = "die", ["lying"] = "lie", ["tying"] = "tie", ["news"] = "news",
        ["innings"] = "inning", ["inning"] = "inning", ["outings"] = "outing", ["outing"] = "outing",
        ["cannings"] = "canning", ["canning"] = "canning", ["howe"] = "howe", ["proceed"] = "proceed",
        ["exceed"] = "exceed", ["succeed"] = "succeed",
    }.ToFrozenDictionary(StringComparer.Ordinal);
    private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> IrregularLookup =
        IrregularForms.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly Rule[] Step1aRules =
        [new("sses", "ss", Condition.None), new("ies", "i", Condition.None), new("ss", "ss", Condition.None), new("s", "", Condition.None)];

    private static readonly Rule[] Step2Common =
    [
        new("ational", "ate", Condition.MeasurePositive), new("tional", "tion", Condition.MeasurePositive),
        new("enci", "ence", Condition.MeasurePositive), new("anci", "ance", Condition.MeasurePositive),
        new("izer", "ize", Condition.MeasurePositive),
    ];
    private static readonly Rule[] Step2Rest =
    [
        new("alli", "al", Condition.MeasurePositive), new("entli", "ent", Condition.MeasurePositive),
        new("eli", "e", Condition.MeasurePositive), new("ousli", "ous", Condition.MeasurePositive),
        new("ization", "ize", Condition.MeasurePositive), new("ation", "ate", Condition.MeasurePositive),
        new("ator", "ate", Condition.MeasurePositive), new("alism", "al", Condition.MeasurePositive),
        new("iveness", "ive", Condition.MeasurePositive), new("fulness", "ful", Condition.MeasurePositive),
        new("ousness", "ous", Condition.MeasurePositive), new("aliti", "al", Condition.MeasurePositive),
        new("iviti", "ive", Condition.MeasurePositive), new("biliti", "ble", Condition.MeasurePositive),
    ];
    private static readonly Rule[] Step2Nltk =
        [.. Step2Common, new("bli", "ble", Condition.MeasurePositive), .. Step2Rest,
         new("fulli", "ful", Condition.MeasurePositive), new("logi", "log", Condition.LogiStem)];
    private static readonly Rule[] Step2Original =
        [.. Step2Common, new("abli", "able", Condition.MeasurePositive), .. Step2Rest];

    private static readonly Rule[] Step3Rules =
    [
        new("icate", "ic", Condition.MeasurePositive), new("ative", "", Condition.MeasurePositive),
        new("alize", "al", Condition.MeasurePositive), new("iciti", "ic", Condition.MeasurePositive),
        new("ical", "ic", Condition.MeasurePositive), new("ful", "", Condition.MeasurePositive),
        new("ness", "", Condition.MeasurePositive),
    ];

    private static readonly Rule[] Step4Rules =
    [
        new("al", "", Condition.MeasureAboveOne), new("ance", "", Condition.MeasureAboveOne),
        new("ence", "", Condition.MeasureAboveOne), new("er", "", Condition.MeasureAboveOne),
        new("ic", "", Condition.MeasureAboveOne), new("able", "", Condition.MeasureAboveOne),
        new("ible", "", Condition.MeasureAboveOne), new("ant", "", Condition.MeasureAboveOne),
        new("ement", "", Condition.MeasureAboveOne), new("ment", "", Condition.MeasureAboveOne),
        new("ent", "", Condition.MeasureAboveOne), new("ion", "", Condition.IonStem),
        new("ou", "", Condition.MeasureAboveOne), new("ism", "", Condition.MeasureAboveOne),
        new("ate", "", Condition.MeasureAboveOne), new("iti", "", Condition.MeasureAboveOne),
        new("ous", "", Condition.MeasureAboveOne), new("ive", "", Condition.MeasureAboveOne),
        new("ize", "", Condition.MeasureAboveOne),
    ];

    private readonly bool _nltk;

    /// <summary>Creates a stemmer; the default mode matches <c>nltk.stem.PorterStemmer()</c>.</summary>
    public PorterStemmer(PorterStemmerMode mode = PorterStemmerMode.NltkExtensions)
    {
        Mode = mode;
        _nltk = mode == PorterStemmerMode.NltkExtensions;
    }

    /// <summary>A shared stemmer in the default (NLTK) mode.</summary>
    public static PorterStemmer Default { get; } = new();

    /// <summary>The variant this stemmer runs.</summary>
    public PorterStemmerMode Mode { get; }

    /// <summary>The stem of <paramref name="word"/> (lower-cased, as NLTK's <c>stem(word)</c>).</summary>
    public string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        Span<char> buffer = word.Length <= 128 ? stackalloc char[word.Length + 2] : new char[word.Length + 2];
        int length = Stem(word, buffer);
        var stem = buffer[..length];
        return stem.SequenceEqual(word) ? word : stem.ToString();
    }

    /// <summary>
    /// Writes the stem of <paramref name="word"/> into <paramref name="destination"/> (which needs
    /// <c>word.Length + 2</c> characters) and returns its length.
    /// </summary>
    public int Stem(ReadOnlySpan<char> word, Span<char> destination)
    {
        if (destination.Length < word.Length + 2) throw new ArgumentException("The destination needs word.Length + 2 characters.", nameof(destination));
        // NLTK checks the irregular forms and the short-word rule on the word as given, before lower-casing.
        if (_nltk && IrregularLookup.TryGetValue(word, out var irregular))
        {
            irregular.CopyTo(destination);
            return irregular.Length;
        }
        int n = word.ToLowerInvariant(destination);
        if (n < 0) n = word.Length; // cannot happen: the buffer is large enough
        if (Mode != PorterStemmerMode.OriginalAlgorithm && word.Length <= 2) return n;

        var b = destination;
        n = Step1a(b, n);
        n = Step1b(b, n);
        n = Step1c(b, n);
        n = Step2(b, n);
        n = ApplyRuleList(b, n, Step3Rules);
        n = ApplyRuleList(b, n, Step4Rules);
        n = Step5a(b, n);
        n = Step5b(b, n);
        return n;
    }

    private int Step1a(Span<char> b, int n)
    {
        // NLTK: 'dies' → 'die' (but 'flies' → 'fli').
        if (_nltk && n == 4 && EndsWith(b, n, "ies")) return Replace(b, n, 3, "ie");
        return ApplyRuleList(b, n, Step1aRules);
    }

    private int Step1b(Span<char> b, int n)
    {
        if (_nltk && EndsWith(b, n, "ied")) return Replace(b, n, 3, n == 4 ? "ie" : "i");

        if (EndsWith(b, n, "eed")) return Measure(b, n - 3) > 0 ? n - 1 : n; // (m>0) EED → EE

        int stem;
        if (EndsWith(b, n, "ed") && ContainsVowel(b, n - 2)) stem = n - 2;
        else if (EndsWith(b, n, "ing") && ContainsVowel(b, n - 3)) stem = n - 3;
        else return n;

        if (EndsWith(b, stem, "at")) return Replace(b, stem, 2, "ate");
        if (EndsWith(b, stem, "bl")) return Replace(b, stem, 2, "ble");
        if (EndsWith(b, stem, "iz")) return Replace(b, stem, 2, "ize");
        if (EndsDoubleConsonant(b, stem))
            return b[stem - 1] is 'l' or 's' or 'z' ? stem : stem - 1; // hopp → hop, but fall stays
        if (Measure(b, stem) == 1 && EndsCvc(b, stem)) return Replace(b, stem, 0, "e"); // fil → file
        return stem;
    }

    private int Step1c(Span<char> b, int n)
    {
        if (!EndsWith(b, n, "y")) return n;
        int stem = n - 1;
        bool applies = _nltk ? stem > 1 && IsConsonant(b, stem - 1) : ContainsVowel(b, stem);
        if (applies) b[stem] = 'i';
        return n;
    }

    private int Step2(Span<char> b, int n)
    {
        // NLTK applies ALLI → AL first and, if it fires, runs step 2 again on the result.
        if (_nltk && EndsWith(b, n, "alli") && Measure(b, n - 4) > 0) return Step2(b, Replace(b, n, 4, "al"));
        return ApplyRuleList(b, n, _nltk ? Step2Nltk : Step2Original);
    }

    private int Step5a(Span<char> b, int n)
    {
        if (!EndsWith(b, n, "e")) return n;
        int m = Measure(b, n - 1);
        return m > 1 || (m == 1 && !EndsCvc(b, n - 1)) ? n - 1 : n;
    }

    private int Step5b(Span<char> b, int n) =>
        EndsWith(b, n, "ll") && Measure(b, n - 1) > 1 ? n - 1 : n;

    /// <summary>The first rule whose suffix matches decides: applied if its condition holds, and no later rule is tried.</summary>
    private int ApplyRuleList(Span<char> b, int n, Rule[] rules)
    {
        foreach (var rule in rules)
        {
            if (!EndsWith(b, n, rule.Suffix)) continue;
            int stem = n - rule.Suffix.Length;
            bool ok = rule.Condition switch
            {
                Condition.None => true,
                Condition.MeasurePositive => Measure(b, stem) > 0,
                Condition.MeasureAboveOne => Measure(b, stem) > 1,
                Condition.IonStem => Measure(b, stem) > 1 && b[stem - 1] is 's' or 't',
                Condition.LogiStem => Measure(b, n - 3) > 0, // the 'l' stays with the stem: geo-logi
                _ => false,
            };
            return ok ? Replace(b, n, rule.Suffix.Length, rule.Replacement) : n;
        }
        return n;
    }

    private static int Replace(Span<char> b, int n, int suffixLength, string replacement)
    {
        int stem = n - suffixLength;
        replacement.CopyTo(b[stem..]);
        return stem + replacement.Length;
    }

    private static bool EndsWith(Span<char> b, int n, string suffix) =>
        n >= suffix.Length && b[(n - suffix.Length)..n].SequenceEqual(suffix);

    /// <summary>Anything but a, e, i, o, u is a consonant, except a 'y' that follows a consonant.</summary>
    private static bool IsConsonant(Span<char> b, int i) => b[i] switch
    {
        'a' or 'e' or 'i' or 'o' or 'u' => false,
        'y' => i == 0 || !IsConsonant(b, i - 1),
        _ => true,
    };

    /// <summary>Porter's m: the number of vowel-consonant sequences in b[0..n).</summary>
    private static int Measure(Span<char> b, int n)
    {
        int m = 0;
        bool previousVowel = false;
        for (int i = 0; i < n; i++)
        {
            bool vowel = !IsConsonant(b, i);
            if (previousVowel && !vowel) m++;
            previousVowel = vowel;
        }
        return m;
    }

    private static bool ContainsVowel(Span<char> b, int n)
    {
        for (int i = 0; i < n; i++) if (!IsConsonant(b, i)) return true;
        return false;
    }

    private static bool EndsDoubleConsonant(Span<char> b, int n) =>
        n >= 2 && b[n - 1] == b[n - 2] && IsConsonant(b, n - 1);

    private bool EndsCvc(Span<char> b, int n) =>
        (n >= 3 && IsConsonant(b, n - 3) && !IsConsonant(b, n - 2) && IsConsonant(b, n - 1) && b[n - 1] is not ('w' or 'x' or 'y'))
        || (_nltk && n == 2 && !IsConsonant(b, 0) && IsConsonant(b, 1));
}
