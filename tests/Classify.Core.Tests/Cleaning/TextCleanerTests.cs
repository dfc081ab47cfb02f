using Classify.Core.Cleaning;

namespace Classify.Core.Tests.Cleaning;

public class TextCleanerTests
{
    private static string Clean(string text, CleaningOptions options) => new TextCleaner(options).Clean(text);

    [Theory]
    [InlineData("Tom &amp; Jerry", "Tom & Jerry")]
    [InlineData("&lt;3 you &gt;", "<3 you >")]
    [InlineData("caf&eacute; &#233; &#xE9; &#XE9;", "café é é é")]
    [InlineData("&amp &ampx &notit; &nosuch;", "& &x ¬it; &nosuch;")]   // legacy names without ';', longest prefix rule
    [InlineData("&#128512; &#0; &#x80; &#1; &#xD800; &#99999999999;", "😀 \uFFFD €  \uFFFD \uFFFD")] // HTML5 replacements as Python's html.unescape
    [InlineData("&NotNestedGreaterGreater; &bne;", "\u2AA2\u0338 =\u20E5")]
    [InlineData("a & b &# &#x; &;", "a & b &# &#x; &;")]
    public void Html_unescapes_like_python(string input, string expected) =>
        Assert.Equal(expected, Clean(input, new CleaningOptions { Html = true }));

    [Fact]
    public void Html_strips_tags_after_unescaping_but_keeps_hearts()
    {
        var o = new CleaningOptions { Html = true, Whitespace = true };
        Assert.Equal("bold text link", Clean("<b>bold</b> text <a href=\"x\">link</a><!-- note -->", o));
        Assert.Equal("love it", Clean("&lt;i&gt;love&lt;/i&gt; it", o));
        Assert.Equal("i <3 u", Clean("i &lt;3 u", o));
    }

    [Theory]
    [InlineData("see http://t.co/abc now", "see  now")]
    [InlineData("HTTPS://Example.com/x?y=1 and www.site.org/page", " and ")]
    [InlineData("ftp://files.net/a.zip", "")]
    [InlineData("no url here: awww.", "no url here: awww.")]
    public void Urls_are_removed(string input, string expected) =>
        Assert.Equal(expected, Clean(input, new CleaningOptions { Urls = true }));

    [Fact]
    public void Mentions_are_removed_but_email_addresses_stay() =>
        Assert.Equal(" thanks! mail me@example.com", Clean("@bob_99 thanks! mail me@example.com", new CleaningOptions { Mentions = true }));

    [Fact]
    public void Hashtags_keep_their_word() =>
        Assert.Equal("so happy blessed #", Clean("so #happy #blessed #", new CleaningOptions { Hashtags = true }));

    [Fact]
    public void Control_and_format_characters_are_removed_whitespace_controls_become_spaces() =>
        Assert.Equal("zerowidth join a b c soft", Clean("zero\u200Bwidth\u200D join\u0007 a\tb\nc so\u00ADft\uFEFF", new CleaningOptions { ControlCharacters = true }));

    [Theory]
    [InlineData("Sooooo SAD!!!!", "Soo SAD!!")]
    [InlineData("hahahaha", "hahahaha")]
    [InlineData("cooool 😂😂😂😂", "cool 😂😂")]
    [InlineData("1000 or 7777", "1000 or 7777")]
    [InlineData("aa bbb", "aa bb")]
    public void Elongation_is_capped_at_two(string input, string expected) =>
        Assert.Equal(expected, Clean(input, new CleaningOptions { Elongation = true }));

    [Fact]
    public void Stop_words_are_removed_with_their_punctuation_kept()
    {
        var o = new CleaningOptions { StopWords = true, Whitespace = true };
        Assert.Equal("Loved movie, !", Clean("I Loved the movie, it was!", o));
        Assert.Equal(318, EnglishStopWords.Words.Count);
        Assert.True(EnglishStopWords.Set.Contains("amoungst") && EnglishStopWords.Contains("amoungst".AsSpan()));
    }

    [Fact]
    public void Stemming_keeps_surrounding_punctuation() =>
        Assert.Equal("(run) happi!! cat.", Clean("(running) happy!! cats.", new CleaningOptions { Stem = true }));

    [Fact]
    public void Whitespace_collapses_and_trims_last() =>
        Assert.Equal("a b c", Clean("  a \t\n b\u00A0\u00A0c  ", new CleaningOptions { Whitespace = true }));

    [Fact]
    public void No_options_leaves_text_unchanged()
    {
        const string text = " Sooo SAD &amp; @you http://x.y #tag ";
        Assert.Same(text, new TextCleaner(CleaningOptions.None).Clean(text));
    }

    // Real rows of tweet-sentiment-extraction/train.csv, with every step on.
    [Theory]
    [InlineData(" Sooo SAD I will miss you here in San Diego!!!", "soo sad miss san diego!!")]
    [InlineData("my boss is bullying me...", "boss bulli ..")]
    [InlineData(" what interview! leave me alone", "interview! leav")]
    [InlineData("http://www.dothebouncy.com/smf - some shameless plugging for the best Rangers forum on earth", "- shameless plug best ranger forum earth")]
    [InlineData("I still smell of smoke  #kitchenfire", "smell smoke kitchenfir")]
    [InlineData("  #lichfield #tweetup sounds like fun  Hope to see you and everyone else there!", "lichfield tweetup sound like fun hope !")]
    public void All_steps_on_real_tweets(string tweet, string expected)
    {
        var all = new CleaningOptions
        {
            Html = true, Urls = true, Mentions = true, Hashtags = true, ControlCharacters = true,
            Elongation = true, Lowercase = true, StopWords = true, Stem = true, Whitespace = true,
        };
        Assert.Equal(expected, Clean(tweet, all));
    }

    [Fact]
    public void Cleans_the_tweet_corpus_in_order()
    {
        var path = Path.Combine(TestPaths.Shared, "data", "tweet-sentiment-extraction", "train.csv");
        // The texts are the second field; quoted fields may hold commas, so split on the first and last two commas.
        var texts = File.ReadLines(path).Skip(1).Select(line =>
        {
            int first = line.IndexOf(','), last = line.LastIndexOf(','), secondLast = line.LastIndexOf(',', Math.Max(first, last - 1));
            return secondLast > first ? line[(first + 1)..secondLast] : line;
        }).ToList();
        Assert.True(texts.Count > 27000);
        var cleaner = new TextCleaner(new CleaningOptions
        {
            Html = true, Urls = true, Mentions = true, Hashtags = true, ControlCharacters = true,
            Elongation = true, Lowercase = true, StopWords = true, Stem = true, Whitespace = true,
        });
        // Speed is measured by the benchmarks (bench/), not here: process CPU time also counts the tests running beside this one.
        var cleaned = cleaner.Clean(texts);
        Assert.Equal(texts.Count, cleaned.Length);
        Assert.Equal(cleaner.Clean(texts[123]), cleaned[123]);
        Assert.Equal(cleaner.Clean(texts[^1]), cleaned[^1]);
    }
}
