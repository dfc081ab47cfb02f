using Classify.Transformers.Native;
using TorchSharp;

namespace Classify.Transformers.Tests.Native;

public class TorchRuntimeTests
{
    [Fact]
    public void TorchSharp_loads_and_computes()
    {
        TorchRuntime.EnsureInitialized();
        using var a = torch.ones(2, 3);
        using var b = torch.arange(3, dtype: torch.float32);
        using var c = (a * b).sum();
        Assert.Equal(6f, c.item<float>());
        Assert.NotNull(TorchRuntime.Report);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData(" 3 ", 3)]
    [InlineData("16", 16)]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0", null)]
    [InlineData("-2", null)]
    [InlineData("two", null)]
    [InlineData("2,4", null)]     // OpenMP's nested-levels list: not a single count, so the default stands
    public void OMP_NUM_THREADS_sets_the_intra_op_threads_when_it_is_a_positive_integer(string? value, int? expected) =>
        Assert.Equal(expected, TorchRuntime.ParseThreadCount(value));

    [Fact]
    public void EnsureInitialized_is_idempotent()
    {
        TorchRuntime.EnsureInitialized();
        var first = TorchRuntime.Report;
        TorchRuntime.EnsureInitialized();
        Assert.Same(first, TorchRuntime.Report);
    }

    [Fact]
    public void LibTorchSharp_is_found_and_its_stdcxx_needs_are_satisfied_or_weakened()
    {
        var library = TorchRuntime.LocateLibTorchSharp();
        Assert.NotNull(library);
        var needs = ElfImage.Read(library!).VersionNeeds();
        Assert.Contains(needs, n => n.File == "libstdc++.so.6");
        TorchRuntime.EnsureInitialized();
        var report = TorchRuntime.Report!;
        if (report.PatchedCopy is not null)
        {
            var patched = ElfImage.Read(report.PatchedCopy).VersionNeeds();
            foreach (var name in report.WeakenedVersions)
                Assert.True(patched.Single(n => n.Name == name).IsWeak, name);
            // Only the flags changed: same needs, same order.
            Assert.Equal(needs.Select(n => (n.File, n.Name)), patched.Select(n => (n.File, n.Name)));
        }
    }

    [Fact]
    public void Weakening_a_version_need_changes_only_its_flag()
    {
        var library = TorchRuntime.LocateLibTorchSharp()!;
        var image = ElfImage.Read(library);
        var before = image.Bytes.ToArray();
        var target = image.VersionNeeds().First(n => n.File == "libstdc++.so.6" && !n.IsWeak);
        image.WeakenVersionNeeds([target]);
        var after = image.Bytes.ToArray();
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        Assert.Single(changed);
        Assert.Equal(target.FlagsOffset, changed[0]);
        Assert.True(image.VersionNeeds().Single(n => n.Index == target.Index).IsWeak);
    }

    [Fact]
    public void The_gcc13_marker_symbol_is_never_relocated()
    {
        // The whole workaround rests on this: GLIBCXX_3.4.32 is needed only for a symbol nothing binds.
        var image = ElfImage.Read(TorchRuntime.LocateLibTorchSharp()!);
        var need = image.VersionNeeds().SingleOrDefault(n => n.Name == "GLIBCXX_3.4.32");
        if (need == default) return;   // a future build without the marker
        var imports = image.ImportsOfVersions(new HashSet<int> { need.Index });
        Assert.Contains(imports, s => s.Name == "_ZSt21ios_base_library_initv");
        Assert.All(imports, s => Assert.False(s.IsRelocated, s.Name));
    }

    [Fact]
    public void System_stdcxx_version_definitions_are_read()
    {
        var path = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }.FirstOrDefault(File.Exists);
        if (path is null) return;   // not a Debian/Fedora layout
        var defs = ElfImage.Read(path!).VersionDefinitions();
        Assert.Contains("GLIBCXX_3.4", defs);
        Assert.Contains("CXXABI_1.3", defs);
    }
}
