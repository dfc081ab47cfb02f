using Classify.Core.Data;
using Classify.Core.Labels;

namespace Classify.Core.Tests.Data;

/// <summary>
/// Loads the real datasets under /work/shared/data and checks the quirks their READMEs describe. No wall-clock
/// assertions: the shared CI machine is too loaded for them to mean anything (timings are in the issue notes).
/// </summary>
public sealed class SharedDatasetTests
{
    private static string DataFile(params string[] parts) => Path.Combine([TestPaths.Shared, "data", .. parts]);

    [Fact]
    public void GoEmotions_headerless_tsv_with_quoted_texts_and_a_names_file()
    {
        var options = new DatasetOptions
        {
            HasHeader = false, ColumnNames = ["text", "labels", "id"], LabelColumn = "labels", IdColumn = "id",
            Multilabel = true, LabelNamesFile = DataFile("goemotions", "emotions.txt"),
        };
        var data = DatasetLoader.Load(DataFile("goemotions", "train.tsv"), options);
        Assert.Equal(TaskKind.Multilabel, data.Schema.Kind);
        Assert.Equal(28, data.Schema.Count);
        Assert.Equal("admiration", data.Schema.Labels[0]);
        Assert.Equal("neutral", data.Schema.Labels[27]);
        Assert.Equal(43_410, data.Stats.RowsRead);
        // Expectations from Python's csv module (delimiter '\t') with the same whitespace-collapsed duplicate rule.
        Assert.Equal(113, data.Stats.DuplicatesDropped);
        Assert.Equal(59, data.Stats.ConflictingDuplicates);
        Assert.Equal(["edm9c04", "ef5yy7d", "edndrd2", "edrach6", "edp9btq"], data.Stats.ConflictingDuplicateIds);
        Assert.Equal(43_410 - 113, data.Stats.RowsUsed);
        Assert.Equal(0, data.Stats.InvalidUtf8Replaced);
        Assert.Equal("1c254a142be5c00e80d819b9ae1bbd36d94b2eeb8f4b1271846508d57e57d9c5", data.Stats.Sha256);

        var quoted = data.Examples.Single(e => e.Id == "eetq9g0");
        Assert.Equal("Three words, no subtlety. \"Dude. Stop. Seriously.\" ", quoted.Text);
        Assert.Equal(["annoyance"], quoted.Labels.Select(i => data.Schema.Labels[i]));
        Assert.Equal(5, data.Examples.Max(e => e.Labels.Length)); // README: one train row has 5 labels
    }

    [Fact]
    public void TweetSentimentExtraction_drops_the_empty_text_and_counts_duplicates()
    {
        var options = new DatasetOptions { IdColumn = "textID", LabelColumn = "sentiment" };
        var data = DatasetLoader.Load(DataFile("tweet-sentiment-extraction", "train.csv"), options);
        Assert.Equal(["negative", "neutral", "positive"], data.Schema.Labels);
        Assert.Equal(27_481, data.Stats.RowsRead);
        Assert.Equal(1, data.Stats.EmptyDropped);
        Assert.DoesNotContain(data.Examples, e => e.Id == "fdb77c3752");
        Assert.Equal(27, data.Stats.DuplicatesDropped);
        Assert.Equal(5, data.Stats.ConflictingDuplicates);
        Assert.Equal(["64e197bc57", "6e22c9794a", "a0a6e32f0f", "22076dad91", "69806f97e0"], data.Stats.ConflictingDuplicateIds);
        Assert.Equal(27_481 - 1 - 27, data.Stats.RowsUsed);
        Assert.Equal("192204063468a632b2601f6e833c42d7875b618d1a6e5c9529ad8ca58ee6be75", data.Stats.Sha256);
        // Leading spaces are part of the text; cleaning is a separate, per-model step.
        Assert.StartsWith(" ", data.Examples[0].Text);
    }

    [Fact]
    public void SpamAssassin_multi_line_fields_and_a_300_KB_field()
    {
        var data = DatasetLoader.Load(DataFile("spam-assassin", "tidy.csv"), new DatasetOptions { IdColumn = "id", GroupColumn = "split" });
        Assert.Equal(TaskKind.Binary, data.Schema.Kind);
        Assert.Equal(["ham", "spam"], data.Schema.Labels);
        Assert.Equal(6_046, data.Stats.RowsUsed);
        Assert.Equal(0, data.Stats.DuplicatesDropped);
        Assert.Equal(4_150, data.LabelCounts()["ham"]);
        var longest = data.Examples.MaxBy(e => e.Text.Length)!;
        Assert.Equal(300_734, longest.Text.Length);
        Assert.StartsWith("hard-ham-1/00039.", longest.Id);
        Assert.Equal("hard-ham-1", longest.Group);
        Assert.StartsWith("Return-Path: <hito@opentext.com>\nReceived: from marconi", longest.Text);
        Assert.Equal(4, data.Examples.Count(e => e.Text.Length > 131_072));
        Assert.Equal(500, data.Examples.Count(e => e.Text.Contains('\uFFFD')));
    }

    [Fact]
    public void AnnoMI_context_holds_the_previous_turns_of_the_same_transcript()
    {
        var path = DataFile("annomi", "AnnoMI-simple.csv");
        var data = DatasetLoader.Load(path, new DatasetOptions
        {
            TextColumn = "utterance_text", LabelColumn = "main_therapist_behaviour", GroupColumn = "transcript_id",
            OrderColumn = "utterance_id", SpeakerColumn = "interlocutor", ContextTurns = 3, ContextSpeakerTags = true,
        });
        Assert.Equal(9_699, data.Stats.RowsRead);
        Assert.Equal(["n/a", "other", "question", "reflection", "therapist_input"], data.Schema.Labels);

        var first = data.Examples[0];
        Assert.Equal("0", first.Group);
        Assert.Empty(first.Context!);
        var fourth = data.Examples[3];
        Assert.Equal("Mm-hmm.", fourth.Text);
        Assert.Equal(3, fourth.Context!.Count);
        Assert.StartsWith("therapist: Thanks for filling it out.", fourth.Context[0]);
        Assert.Equal("client: Sure.", fourth.Context[1]);
        Assert.StartsWith("therapist: So, let's see.", fourth.Context[2]);

        // Independent check: the file is ordered by utterance within each transcript, so the context of each
        // row is the previous (up to) 3 rows of its transcript in file order.
        var previous = new Dictionary<string, List<string>>();
        var expected = new Dictionary<string, string[]>();
        using (var reader = RecordReader.Open(path))
        {
            int t = reader.Columns.IndexOf("transcript_id"), s = reader.Columns.IndexOf("interlocutor"), u = reader.Columns.IndexOf("utterance_text");
            foreach (var r in reader.ReadAll())
            {
                var list = previous.TryGetValue(r[t]!, out var l) ? l : previous[r[t]!] = [];
                expected[r.RowNumber.ToString()] = list.TakeLast(3).ToArray();
                list.Add($"{r[s]}: {r[u]}");
            }
        }
        Assert.All(data.Examples, e => Assert.Equal(expected[e.Id], e.Context));
        // "Mm-hmm." with the same code in another context is a new turn, not a duplicate.
        Assert.True(data.Examples.Count(e => e.Text == "Mm-hmm.") > 50);
    }

    [Fact]
    public void AnnoMI_speaker_tags_are_optional_and_the_current_speaker_can_be_given_to_the_model()
    {
        var path = DataFile("annomi", "AnnoMI-simple.csv");
        var options = new DatasetOptions
        {
            TextColumn = "utterance_text", LabelColumn = "main_therapist_behaviour", GroupColumn = "transcript_id",
            OrderColumn = "utterance_id", SpeakerColumn = "interlocutor", ContextTurns = 3,
        };
        var untagged = DatasetLoader.Load(path, options).Examples[3];   // context.speaker_tags: false (the default)
        Assert.Equal("Mm-hmm.", untagged.Text);
        Assert.StartsWith("Thanks for filling it out.", untagged.Context![0]);
        Assert.Equal("Sure.", untagged.Context[1]);

        var speaking = DatasetLoader.Load(path, options with { ContextSpeakerTags = true, CurrentSpeaker = true }).Examples[3];
        Assert.Equal("client: Mm-hmm.", speaking.Text);
        Assert.Equal("client: Sure.", speaking.Context![1]);
        // The same rows streamed for scoring get the same inputs.
        var streamed = DatasetLoader.ReadUnlabelled(path, options with { ContextSpeakerTags = true, CurrentSpeaker = true }).ElementAt(3);
        Assert.Equal(speaking.Text, streamed.Text);
        Assert.Equal(speaking.Context, streamed.Context);
    }
}
