using Classify.Core.Cleaning;

namespace Classify.Core.Tests.Cleaning;

public class PorterStemmerTests
{
    private static string[][] ReadCases() => File.ReadAllLines(
            Path.Combine(TestPaths.RepoRoot, "tests", "Classify.Core.Tests", "Cleaning", "Fixtures", "porter_nltk.tsv"))
        .Where(l => l.Length > 0).Select(l => l.Split('\t')).ToArray();

    [Theory]
    [InlineData("caresses", "caress")]
    [InlineData("ponies", "poni")]
    [InlineData("relational", "relat")]
    [InlineData("generalization", "gener")]
    [InlineData("hopping", "hop")]
    [InlineData("filing", "file")]
    [InlineData("happy", "happi")]
    [InlineData("dies", "die")]
    [InlineData("dying", "die")]
    [InlineData("was", "wa")]
    [InlineData("by", "by")]
    [InlineData("Running", "run")]
    public void Stems_paper_and_nltk_examples(string word, string expected) =>
        Assert.Equal(expected, PorterStemmer.Default.Stem(word));

    [Fact]
    public void Original_mode_differs_where_nltk_extends_the_algorithm()
    {
        var original = new PorterStemmer(PorterStemmerMode.OriginalAlgorithm);
        Assert.Equal("ti", original.Stem("ties"));
        Assert.Equal("tie", PorterStemmer.Default.Stem("ties"));
        Assert.Equal("enjoi", original.Stem("enjoy"));
        Assert.Equal("enjoy", PorterStemmer.Default.Stem("enjoy"));
    }

    [Fact]
    public void Matches_nltk_on_3100_words_in_both_modes()
    {
        var cases = ReadCases();
        Assert.True(cases.Length > 3000);
        var original = new PorterStemmer(PorterStemmerMode.OriginalAlgorithm);
        var nltkMismatches = cases.Where(c => PorterStemmer.Default.Stem(c[0]) != c[1]).Select(c => $"{c[0]}→{PorterStemmer.Default.Stem(c[0])} (nltk {c[1]})").ToList();
        var originalMismatches = cases.Where(c => original.Stem(c[0]) != c[2]).Select(c => $"{c[0]}→{original.Stem(c[0])} (nltk {c[2]})").ToList();
        Assert.True(nltkMismatches.Count == 0, string.Join(", ", nltkMismatches.Take(20)));
        Assert.True(originalMismatches.Count == 0, string.Join(", ", originalMismatches.Take(20)));
    }

    [Fact]
    public void Span_overload_requires_room_for_growth()
    {
        Assert.Throws<ArgumentException>(() => PorterStemmer.Default.Stem("cats", new char[3]));
        Span<char> room = stackalloc char[6];
        int n = PorterStemmer.Default.Stem("cats", room);
        Assert.Equal("cat", room[..n].ToString());
    }
}
