using System.Runtime.InteropServices;

namespace Classify.Transformers.Native;

/// <summary>
/// Tells glibc's <c>malloc</c> to keep freed activation buffers for reuse instead of handing them back to the
/// kernel, which would make every later buffer of the same size cost fresh, zero-filled pages.
/// </summary>
/// <remarks>
/// <para>
/// A transformer forward pass allocates and frees the same few large buffers (12–50 MB at BERT-base 32×128) once
/// per layer. glibc's defaults serve requests above 32 MB with a fresh <c>mmap</c> and trim the heap top as soon as
/// a few MB are free, so each buffer is faulted in (and zero-filled) page by page again and again. On the 2-core VM
/// of docs/benchmarks.md that made GELU on a 50 MB activation 8× slower (109 vs 14 ms) and the FFN up-projection
/// 1.8× slower than with reused memory. The settings applied here are the ones glibc reads from
/// <c>MALLOC_MMAP_MAX_</c>, <c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_TRIM_THRESHOLD_</c> and <c>MALLOC_TOP_PAD_</c>:
/// the main heap serves every size (threads' arenas still fall back to <c>mmap</c> beyond their 64 MB heaps), it is
/// trimmed only when 2 GB are free at its top, and it grows in steps of 256 MB. Numerics are unaffected; the cost is
/// that memory a model frees stays with the process for its next batch, as PyTorch's caching allocators do on GPUs.
/// </para>
/// <para>
/// Skipped when the process already set any of those variables (glibc applied them at start-up), when
/// <c>CLASSIFY_MALLOC_TUNING=0</c>, and on systems without glibc.
/// </para>
/// </remarks>
internal static class GlibcAllocator
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_TOP_PAD = -2;
    private const int M_MMAP_THRESHOLD = -3;
    private const int M_MMAP_MAX = -4;
    private const int MmapThreshold = 32 * 1024 * 1024;   // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
    private const int TrimThreshold = int.MaxValue;
    private const int TopPad = 256 * 1024 * 1024;

    /// <summary>The environment variable that turns the tuning off when set to <c>0</c>.</summary>
    public const string SwitchVariable = "CLASSIFY_MALLOC_TUNING";

    private static readonly string[] GlibcVariables = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"];

    /// <summary>What <see cref="TryApply"/> did: <c>applied</c>, or why it did not.</summary>
    public static string Status { get; private set; } = "not attempted";

    /// <summary>Applies the settings once; returns true when they are in effect.</summary>
    public static bool TryApply()
    {
        if (Status == "applied") return true;
        if (!OperatingSystem.IsLinux()) { Status = "skipped: not Linux"; return false; }
        if (Environment.GetEnvironmentVariable(SwitchVariable) == "0") { Status = $"skipped: {SwitchVariable}=0"; return false; }
        if (GlibcVariables.FirstOrDefault(v => Environment.GetEnvironmentVariable(v) is not null) is { } set)
        {
            Status = $"skipped: {set} is set";
            return false;
        }
        try
        {
            // mallopt returns 1 on success, 0 when a value is out of range.
            bool ok = mallopt(M_MMAP_MAX, 0) == 1
                      & mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1
                      & mallopt(M_TRIM_THRESHOLD, TrimThreshold) == 1
                      & mallopt(M_TOP_PAD, TopPad) == 1;
            Status = ok ? "applied" : "partly rejected by mallopt";
            return ok;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Status = "skipped: no glibc mallopt";   // musl and other C libraries
            return false;
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt", ExactSpelling = true)]
    private static extern int mallopt(int param, int value);
}
