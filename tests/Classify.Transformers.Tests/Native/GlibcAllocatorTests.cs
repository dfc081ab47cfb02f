using Classify.Transformers.Native;

namespace Classify.Transformers.Tests.Native;

public class GlibcAllocatorTests
{
    [Fact]
    public void Allocator_is_tuned_at_start_up_on_glibc_unless_the_user_chose_settings()
    {
        TorchRuntime.EnsureInitialized();
        string[] userChoices = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"];
        if (!OperatingSystem.IsLinux() || userChoices.Any(v => Environment.GetEnvironmentVariable(v) is not null)
            || Environment.GetEnvironmentVariable(GlibcAllocator.SwitchVariable) == "0")
            Assert.StartsWith("skipped", GlibcAllocator.Status);
        else
            Assert.Equal("applied", GlibcAllocator.Status);
        // Applying again is harmless and keeps the result.
        Assert.Equal(GlibcAllocator.Status == "applied", GlibcAllocator.TryApply());
    }
}
