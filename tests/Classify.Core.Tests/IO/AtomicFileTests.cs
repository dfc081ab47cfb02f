using Classify.Core.IO;
using Classify.Core.Tests.Data;

namespace Classify.Core.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Guid32 => Guid.NewGuid().ToString("N");

    [Theory]
    [InlineData(".run.json.1234.0123456789abcdef0123456789abcdef.tmp", true)]
    [InlineData(".model.0123456789abcdef0123456789abcdef.tmp", true)]
    [InlineData(".model.0123456789abcdef0123456789abcdef.old", true)]
    [InlineData(".checkpoint-10.0123456789abcdef0123456789abcdef.old", true)]
    [InlineData("run.json", false)]
    [InlineData(".hidden.tmp", false)]
    [InlineData("model.0123456789abcdef0123456789abcdef.tmp", false)]   // not hidden: not ours
    [InlineData(".model.0123456789ABCDEF0123456789ABCDEF.tmp", false)]   // Guid "N" is lower-case
    public void Temporary_names_are_the_ones_AtomicFile_makes(string name, bool temporary) =>
        Assert.Equal(temporary, AtomicFile.IsTemporary(name));

    [Fact]
    public void A_staged_file_and_directory_have_temporary_names_while_they_are_written()
    {
        var target = Path.Combine(_dir.Path, "sub", "a.json");
        string? seen = null;
        AtomicFile.Write(target, s =>
        {
            seen = Directory.GetFiles(Path.GetDirectoryName(target)!).Single();
            s.WriteByte((byte)'x');
        });
        Assert.True(AtomicFile.IsTemporary(Path.GetFileName(seen!)), seen);
        string? staged = null;
        AtomicFile.WriteDirectory(Path.Combine(_dir.Path, "model"), d => staged = d);
        Assert.True(AtomicFile.IsTemporary(Path.GetFileName(staged!)), staged);
    }

    [Fact]
    public void Stale_temporaries_are_removed_at_any_depth_and_a_parked_directory_comes_back_when_its_target_is_missing()
    {
        var root = _dir.Path;
        Directory.CreateDirectory(Path.Combine(root, "plots"));
        File.WriteAllText(Path.Combine(root, "plots", $".a.svg.99.{Guid32}.tmp"), "half");
        File.WriteAllText(Path.Combine(root, "plots", "a.png"), "kept");
        Directory.CreateDirectory(Path.Combine(root, $".model.{Guid32}.tmp", "inner"));
        // Killed between "move model aside" and "move the new one in": model/ is missing, the old one is parked.
        var parked = Path.Combine(root, $".model.{Guid32}.old");
        Directory.CreateDirectory(parked);
        File.WriteAllText(Path.Combine(parked, "classify.json"), "{}");
        // A parked copy whose target exists is simply deleted.
        Directory.CreateDirectory(Path.Combine(root, "checkpoints", "checkpoint-5"));
        Directory.CreateDirectory(Path.Combine(root, "checkpoints", $".checkpoint-5.{Guid32}.old"));

        var removed = AtomicFile.RemoveStaleTemporaries(root);

        Assert.Equal(4, removed.Count);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root, ".*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }));
        Assert.Equal("{}", File.ReadAllText(Path.Combine(root, "model", "classify.json")));
        Assert.True(File.Exists(Path.Combine(root, "plots", "a.png")));
        Assert.True(Directory.Exists(Path.Combine(root, "checkpoints", "checkpoint-5")));
        Assert.Empty(AtomicFile.RemoveStaleTemporaries(root));
        Assert.Empty(AtomicFile.RemoveStaleTemporaries(Path.Combine(root, "missing")));
    }
}
