using Classify.Core.Data;
using Classify.Core.IO;

namespace Classify.Cli.Tests.Infrastructure;

/// <summary>
/// Small slices of the real datasets in /work/shared/data, written once per test run to a temp folder (the shared
/// files are read-only and too big for fast tests). Every slice keeps the original columns and quoting-safe CSV.
/// </summary>
internal static class DataSlices
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var folder = TestPaths.NewTempDirectory("classify-cli-tests-data-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        };
        return folder;
    });
    private static readonly Lazy<string> TweetsPath = new(() => WriteTweets(1500));
    private static readonly Lazy<string> Tweets400Path = new(() => WriteTweets(400));
    private static readonly Lazy<string> GoEmotionsPath = new(WriteGoEmotions);
    private static readonly Lazy<string> AnnoMiPath = new(() =>
    {
        var path = Path.Combine(Folder.Value, "annomi-therapist-1500.csv");
        Copy(TestPaths.SharedData("annomi", "AnnoMI-simple.csv"), path,
            (record, taken) => taken < 1500 && record.TryGetValue("interlocutor", out var who) && who == "therapist");
        return path;
    });
    private static readonly Lazy<string> AnnoMiConversationsPath = new(() =>
    {
        var path = Path.Combine(Folder.Value, "annomi-conversations-1200.csv");
        Copy(TestPaths.SharedData("annomi", "AnnoMI-simple.csv"), path, (_, taken) => taken < 1200);
        return path;
    });
    private static readonly Lazy<string> TweetsTestPath = new(() =>
    {
        var path = Path.Combine(Folder.Value, "tweets-test-300.csv");
        Copy(TestPaths.SharedData("tweet-sentiment-extraction", "test.csv"), path, (_, taken) => taken < 300);
        return path;
    });

    /// <summary>
    /// The first 1,500 rows of tweet-sentiment-extraction/train.csv (columns textID,text,selected_text,sentiment;
    /// three labels negative/neutral/positive).
    /// </summary>
    public static string Tweets => TweetsPath.Value;

    /// <summary>The first 400 rows of tweet-sentiment-extraction/train.csv: a transformer trains on them in seconds.</summary>
    public static string Tweets400 => Tweets400Path.Value;

    /// <summary>The first 300 rows of tweet-sentiment-extraction/test.csv (columns textID,text,sentiment): held-out tweets.</summary>
    public static string TweetsTest => TweetsTestPath.Value;

    /// <summary>
    /// 2,000 rows of goemotions/tidy.csv (columns id,text,label,split; label is a comma-separated list of emotion
    /// names): 1,400 from train, 300 from dev, 300 from test.
    /// </summary>
    public static string GoEmotions => GoEmotionsPath.Value;

    /// <summary>
    /// The first 1,500 therapist utterances of AnnoMI-simple.csv (columns as published; text utterance_text, label
    /// main_therapist_behaviour, conversation transcript_id).
    /// </summary>
    public static string AnnoMi => AnnoMiPath.Value;

    /// <summary>
    /// The first 1,200 rows of AnnoMI-simple.csv, both speakers, in transcript and utterance order (≈ 17 transcripts):
    /// conversations for context models (transcript_id, utterance_id, interlocutor, utterance_text, main_therapist_behaviour).
    /// </summary>
    public static string AnnoMiConversations => AnnoMiConversationsPath.Value;

    /// <summary>The 28 GoEmotions label names, one per line.</summary>
    public static string EmotionsFile => TestPaths.SharedData("goemotions", "emotions.txt");

    /// <summary>Rows of the tweet slice as (textID, text, sentiment), for tests that build their own files.</summary>
    public static IReadOnlyList<(string Id, string Text, string Sentiment)> TweetRows(int count)
    {
        var table = CsvTable.Read(Tweets);
        var ids = table.Column("textID").ToArray();
        var texts = table.Column("text").ToArray();
        var labels = table.Column("sentiment").ToArray();
        return Enumerable.Range(0, Math.Min(count, ids.Length)).Select(i => (ids[i], texts[i], labels[i])).ToArray();
    }

    private static string WriteTweets(int rows)
    {
        var path = Path.Combine(Folder.Value, $"tweets-{rows}.csv");
        Copy(TestPaths.SharedData("tweet-sentiment-extraction", "train.csv"), path, (_, taken) => taken < rows);
        return path;
    }

    private static string WriteGoEmotions()
    {
        var path = Path.Combine(Folder.Value, "goemotions-2000.csv");
        var quota = new Dictionary<string, int> { ["train"] = 1400, ["dev"] = 300, ["test"] = 300 };
        Copy(TestPaths.SharedData("goemotions", "tidy.csv"), path, (record, _) =>
        {
            record.TryGetValue("split", out var split);
            if (split is null || !quota.TryGetValue(split, out var left) || left == 0) return false;
            quota[split] = left - 1;
            return true;
        }, stopWhen: () => quota.Values.All(v => v == 0));
        return path;
    }

    private static void Copy(string source, string destination, Func<DataRecord, int, bool> keep, Func<bool>? stopWhen = null)
    {
        using var reader = RecordReader.Open(source);
        AtomicFile.WriteText(destination, writer =>
        {
            var csv = new CsvWriter(writer);
            csv.WriteRow(reader.Columns);
            int taken = 0;
            foreach (var record in reader.ReadAll())
            {
                if (stopWhen?.Invoke() == true) break;
                if (!keep(record, taken)) continue;
                csv.WriteRow(Enumerable.Range(0, record.Count).Select(i => record[i]));
                taken++;
            }
        });
    }
}
