using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Classify.Core.IO;
using TorchSharp;

namespace Classify.Transformers.Native;

/// <summary>
/// Loads TorchSharp's native backend once per process, working around a libstdc++ that is older than the one
/// <c>libLibTorchSharp.so</c> was linked against, tunes glibc's allocator for activation buffers
/// (<see cref="GlibcAllocator"/>) and sets the intra-op thread count.
/// </summary>
/// <remarks>
/// <para>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> was linked with GCC 13, whose <c>&lt;iostream&gt;</c> leaves an
/// undefined marker symbol <c>std::ios_base_library_init()</c> at version <c>GLIBCXX_3.4.32</c> in every object
/// that includes it. Nothing calls it (no relocation refers to it), but the version need alone makes glibc refuse
/// the library on systems whose libstdc++ stops at <c>GLIBCXX_3.4.30</c> (Debian 12, Ubuntu 22.04).
/// </para>
/// <para>
/// On such systems this class copies the library into a cache directory keyed by its SHA-256, marks each missing
/// libstdc++ version need <c>VER_FLG_WEAK</c> (allowed only when no relocation binds a symbol of that version, so
/// no call can ever reach a missing function), and loads that copy before TorchSharp looks for the library.
/// TorchSharp then finds it by its soname. On systems with a new enough libstdc++ nothing is copied or patched.
/// When the library needs something that cannot be waived, it throws a <see cref="TorchRuntimeException"/>
/// naming what is missing.
/// </para>
/// <para>
/// The cache directory is <c>$CLASSIFY_NATIVE_CACHE</c>, else <c>$XDG_CACHE_HOME/classify/native</c>, else
/// <c>~/.cache/classify/native</c>, else the temporary directory.
/// </para>
/// </remarks>
public static class TorchRuntime
{
    private const string LibraryFile = "libLibTorchSharp.so";
    private const string StdCxxSoname = "libstdc++.so.6";
    // Bump when the patch changes so that stale cached copies are not reused.
    private const string PatchRevision = "weak-verneed-1";

    private static readonly object Gate = new();
    private static volatile bool _initialized;

    /// <summary>How the native backend was made loadable, for diagnostics and logs.</summary>
    internal static TorchRuntimeReport? Report { get; private set; }

    /// <summary>
    /// Makes sure TorchSharp's native backend is loaded and usable. Idempotent and thread-safe; every Classify
    /// entry point that touches TorchSharp calls it, so applications never need to.
    /// </summary>
    /// <param name="threads">Intra-op threads for torch; default <c>OMP_NUM_THREADS</c> when it is a positive integer (as
    /// PyTorch honours it: two jobs side by side on one machine each take their share instead of both spinning on every
    /// core), else <see cref="Environment.ProcessorCount"/>.</param>
    /// <exception cref="TorchRuntimeException">The native library cannot be loaded on this system.</exception>
    public static void EnsureInitialized(int? threads = null)
    {
        if (_initialized) return;
        lock (Gate)
        {
            if (_initialized) return;
            var report = OperatingSystem.IsLinux() ? PrepareLinux() : new TorchRuntimeReport(null, null, [], null);
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException)
            {
                throw new TorchRuntimeException(
                    $"TorchSharp's native backend could not be loaded ({report.Describe()}): {e.Message}", e);
            }
            GlibcAllocator.TryApply();
            torch.set_num_threads(Math.Max(1, threads ?? ThreadsFromEnvironment() ?? Environment.ProcessorCount));
            Report = report;
            _initialized = true;
        }
    }

    private static int? ThreadsFromEnvironment() => ParseThreadCount(Environment.GetEnvironmentVariable("OMP_NUM_THREADS"));

    /// <summary>A thread count as <c>OMP_NUM_THREADS</c> writes it: a positive integer, else null (unset, empty, not a number).</summary>
    internal static int? ParseThreadCount(string? value) =>
        int.TryParse(value?.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : null;

    private static TorchRuntimeReport PrepareLinux()
    {
        var original = LocateLibTorchSharp();
        if (original is null) return new TorchRuntimeReport(null, null, [], null);   // TorchSharp reports its own error

        var image = ElfImage.Read(original);
        var stdcxx = LocateStdCxx(Path.GetDirectoryName(original)!);
        if (stdcxx is null) return new TorchRuntimeReport(original, null, [], null);
        var provided = ElfImage.Read(stdcxx).VersionDefinitions();
        var missing = image.VersionNeeds()
            .Where(n => n.File == StdCxxSoname && !n.IsWeak && !provided.Contains(n.Name))
            .ToList();
        if (missing.Count == 0) return new TorchRuntimeReport(original, stdcxx, [], null);

        var used = image.ImportsOfVersions(missing.Select(n => n.Index).ToHashSet()).Where(s => s.IsRelocated).ToList();
        if (used.Count > 0)
        {
            var names = string.Join(", ", used.Select(s => $"{s.Name}@{missing.First(n => n.Index == s.VersionIndex).Name}"));
            throw new TorchRuntimeException(
                $"{original} calls libstdc++ functions that {stdcxx} does not provide ({names}). " +
                "Install a newer libstdc++ (GCC 13 or later, e.g. the libstdc++6 package of Debian 13 / Ubuntu 24.04) " +
                "or put one on LD_LIBRARY_PATH.");
        }

        var patched = PatchedCopy(original, image, missing);
        PreloadSiblingDependencies(original, image);
        try
        {
            NativeLibrary.Load(patched);
        }
        catch (DllNotFoundException e)
        {
            throw new TorchRuntimeException($"Could not load the patched copy {patched} of {original}: {e.Message}", e);
        }
        return new TorchRuntimeReport(original, stdcxx, missing.Select(n => n.Name).ToList(), patched);
    }

    /// <summary>Writes (once) the copy of <paramref name="original"/> with the given version needs made weak.</summary>
    internal static string PatchedCopy(string original, ElfImage image, IReadOnlyList<ElfImage.VersionNeed> weaken)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(image.Bytes))[..16];
        var target = Path.Combine(CacheRoot(), $"{hash}-{PatchRevision}", LibraryFile);
        if (File.Exists(target) && new FileInfo(target).Length == image.Bytes.Length) return target;
        image.WeakenVersionNeeds(weaken);
        AtomicFile.WriteAllBytes(target, image.Bytes);
        return target;
    }

    // The copy lives elsewhere, so its $ORIGIN run path no longer finds libtorch*.so: load the originals first and
    // the loader matches the copy's DT_NEEDED entries against their sonames.
    private static void PreloadSiblingDependencies(string original, ElfImage image)
    {
        var dir = Path.GetDirectoryName(original)!;
        // libtorch_cpu first: it pulls libc10 and libgomp through its own $ORIGIN run path.
        foreach (var needed in image.NeededLibraries().OrderBy(n => n == "libtorch_cpu.so" ? 0 : 1))
        {
            var sibling = Path.Combine(dir, needed);
            if (File.Exists(sibling)) NativeLibrary.Load(sibling);
        }
    }

    private static string CacheRoot()
    {
        var explicitDir = Environment.GetEnvironmentVariable("CLASSIFY_NATIVE_CACHE");
        if (!string.IsNullOrWhiteSpace(explicitDir)) return explicitDir;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg)) return Path.Combine(xdg, "classify", "native");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home) && Directory.Exists(home) && IsWritable(home))
            return Path.Combine(home, ".cache", "classify", "native");
        return Path.Combine(Path.GetTempPath(), "classify-native");
    }

    private static bool IsWritable(string dir)
    {
        try
        {
            var cache = Path.Combine(dir, ".cache");
            Directory.CreateDirectory(cache);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Finds the <c>libLibTorchSharp.so</c> that .NET would load: the app's native search directories first.</summary>
    internal static string? LocateLibTorchSharp()
    {
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirs)
            dirs.AddRange(searchDirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        var torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        foreach (var root in new[] { AppContext.BaseDirectory, torchDir })
        {
            if (string.IsNullOrEmpty(root)) continue;
            dirs.Add(root);
            dirs.Add(Path.Combine(root, "runtimes", "linux-x64", "native"));
            // Running from the NuGet cache (lib/net8.0/TorchSharp.dll): the package's own native folder.
            dirs.Add(Path.Combine(root, "..", "..", "runtimes", "linux-x64", "native"));
        }
        return dirs.Select(d => Path.GetFullPath(Path.Combine(d, LibraryFile))).FirstOrDefault(File.Exists);
    }

    /// <summary>The libstdc++ the loader will bind: one already in the process, one beside the library, or the system's.</summary>
    private static string? LocateStdCxx(string libraryDir)
    {
        var beside = Path.Combine(libraryDir, StdCxxSoname);
        if (File.Exists(beside)) return beside;
        if (!NativeLibrary.TryLoad(StdCxxSoname, out _)) return null;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..];
            if (Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal)) return path;
        }
        return null;
    }
}

/// <summary>What <see cref="TorchRuntime.EnsureInitialized"/> found and did.</summary>
/// <param name="Library">The original <c>libLibTorchSharp.so</c>, when found.</param>
/// <param name="StdCxx">The libstdc++ it binds to, when found.</param>
/// <param name="WeakenedVersions">Version needs that were missing and made weak (empty when no patch was needed).</param>
/// <param name="PatchedCopy">The patched copy that was loaded, or null when the original loads as is.</param>
internal sealed record TorchRuntimeReport(string? Library, string? StdCxx, IReadOnlyList<string> WeakenedVersions, string? PatchedCopy)
{
    /// <summary>A one-line description for logs and error messages.</summary>
    public string Describe() => PatchedCopy is null
        ? $"library {Library ?? "not found"}, libstdc++ {StdCxx ?? "not found"}, no patch needed"
        : $"library {Library}, libstdc++ {StdCxx} lacks {string.Join(", ", WeakenedVersions)}; loaded patched copy {PatchedCopy}";
}

/// <summary>TorchSharp's native backend cannot be used on this system; the message says what is missing.</summary>
public sealed class TorchRuntimeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchRuntimeException(string message, Exception? inner = null) : base(message, inner) { }
}
