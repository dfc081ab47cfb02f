namespace Classify.Cli.Tests.Infrastructure;

/// <summary>
/// One linear model trained once on the 1,500-tweet slice with a YAML config (grid over C, 3-fold CV), shared by
/// the tests of the run folder, <c>predict</c>, <c>eval</c>, <c>runs</c>, <c>report</c> and <c>compare</c>.
/// </summary>
public sealed class TrainedTweetsModel : IDisposable
{
    internal const string RunName = "tweets-e2e";

    internal static string Config(string name, string dataPath, string extra = "") => $"""
        name: {name}
        seed: 7
        data:
          path: {dataPath}
          text_col: text
          label_col: sentiment
          id_col: textID
        cleaning:
          lowercase: true
        engine: linear
        linear:
          tfidf:
            ngram_range: [1, 2]
            min_df: 2
            max_features: 20000
            sublinear_tf: true
          search:
            grid:
              C: [0.5, 2]
            cv: 3
            scoring: macro_f1
        {extra}
        """;

    public TrainedTweetsModel()
    {
        Workspace = new Workspace();
        ConfigPath = Workspace.Write("tweets.yaml", Config(RunName, DataSlices.Tweets));
        Train = CliRunner.Ok("train", "--config", ConfigPath, "--runs-dir", Workspace.RunsDir);
    }

    internal Workspace Workspace { get; }
    internal string ConfigPath { get; }
    internal CliResult Train { get; }
    internal string RunsDir => Workspace.RunsDir;
    internal string RunDir => Path.Combine(RunsDir, RunName);
    internal string ModelDir => Path.Combine(RunDir, "model");

    public void Dispose() => Workspace.Dispose();
}

/// <summary>The tests that share <see cref="TrainedTweetsModel"/> (run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class TrainedTweetsCollection : ICollectionFixture<TrainedTweetsModel>
{
    public const string Name = "trained tweets model";
}
