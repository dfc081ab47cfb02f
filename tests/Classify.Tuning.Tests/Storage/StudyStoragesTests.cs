using Classify.Core.IO;
using Classify.Tuning.Storage;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Tests.Storage;

public sealed class StudyStoragesTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void No_storage_means_the_default_sqlite_ledger()
    {
        var ledger = Path.Combine(_dir, "runs", "ledger.db");
        using var storage = StudyStorages.Open(null, ledger);
        Assert.IsType<SqliteStudyStorage>(storage);
        Assert.Equal(ledger, storage.Description);
        Assert.True(File.Exists(ledger));
    }

    [Fact]
    public void A_path_or_a_sqlite_url_opens_that_file()
    {
        var plain = Path.Combine(_dir, "a.db");
        using (var s = StudyStorages.Open(plain, "unused.db")) Assert.Equal(plain, s.Description);
        var absolute = Path.Combine(_dir, "b.db");
        using (var s = StudyStorages.Open("sqlite:///" + absolute, "unused.db")) Assert.Equal(absolute, s.Description);
        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(_dir);
        try
        {
            using var s = StudyStorages.Open("sqlite:///rel/c.db", "unused.db");
            Assert.Equal(Path.Combine(_dir, "rel", "c.db"), s.Description);
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
        Assert.Throws<InputException>(() => StudyStorages.Open("sqlite://c.db", "unused.db"));
    }

    [Fact]
    public void An_unknown_scheme_is_a_clear_error_naming_the_choices()
    {
        var e = Assert.Throws<InputException>(() => StudyStorages.Open("mysql://u:secret@h/db", "unused.db"));
        Assert.Contains("unknown storage scheme 'mysql://'", e.Message);
        Assert.Contains("postgresql://", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }

    [Fact]
    public void A_registered_provider_opens_its_scheme()
    {
        var provider = new RecordingProvider(Path.Combine(_dir, "x.db"));
        StudyStorages.Register(provider);
        using var storage = StudyStorages.Open("TestScheme-7://anything", "unused.db");
        Assert.Equal("TestScheme-7://anything", provider.Opened);
        Assert.Equal(Path.Combine(_dir, "x.db"), storage.Description);
    }

    private sealed class RecordingProvider(string path) : IStudyStorageProvider
    {
        public IReadOnlyList<string> Schemes => ["testscheme-7"];
        public string Opened { get; private set; } = "";
        public IStudyStorage Open(string url)
        {
            Opened = url;
            return SqliteStudyStorage.Open(path);
        }
    }
}

public sealed class StudyDefinitionsTests
{
    private static StudyDefinition D(string json, StudyDirection direction = StudyDirection.Maximize, string metric = "val.macro_f1") =>
        new("s", direction, metric, json);

    [Fact]
    public void Json_definitions_compare_as_json_and_name_each_differing_path()
    {
        Assert.Empty(StudyDefinitions.Differences(D("""{"a":1,"b":[1,2]}"""), D("""{ "b": [1, 2], "a": 1 }""")));
        var differences = StudyDefinitions.Differences(
            D("""{"space":{"lr":{"high":0.1},"c":[1,2]},"sampler":"tpe","gone":1}"""),
            D("""{"space":{"lr":{"high":0.2},"c":[1,2,3]},"sampler":"tpe","new":true}""", StudyDirection.Minimize, "val.accuracy"));
        Assert.Equal(
        [
            "direction: stored maximize, requested minimize",
            "metric: stored val.macro_f1, requested val.accuracy",
            "space.lr.high: stored 0.1, requested 0.2",
            "space.c: stored [1,2], requested [1,2,3]",
            "gone: stored 1, not requested",
            "new: not stored, requested true",
        ], differences);
    }

    [Fact]
    public void Many_differences_are_summarised_and_text_that_is_not_json_compared_as_text()
    {
        var stored = D("{" + string.Join(",", Enumerable.Range(0, 8).Select(i => $"\"k{i}\":0")) + "}");
        var requested = D("{" + string.Join(",", Enumerable.Range(0, 8).Select(i => $"\"k{i}\":1")) + "}");
        var e = Assert.Throws<InputException>(() => StudyDefinitions.EnsureSame(stored, requested, "runs/ledger.db"));
        Assert.Contains("in runs/ledger.db has another definition (k0: stored 0, requested 1;", e.Message);
        Assert.Contains("; and 3 more)", e.Message);
        Assert.Equal(["definition: the stored text differs from the requested one"], StudyDefinitions.Differences(D("not json"), D("{}")));
        StudyDefinitions.EnsureSame(D("{}"), D(" { } "), "x"); // same: no exception
    }
}
