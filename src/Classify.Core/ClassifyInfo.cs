using System.Reflection;

namespace Classify.Core;

/// <summary>Version and build facts recorded in run folders and model packages.</summary>
public static class ClassifyInfo
{
    /// <summary>The Classify version (informational version of Classify.Core without build metadata).</summary>
    public static string Version { get; } =
        (typeof(ClassifyInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];

    /// <summary>The .NET runtime description.</summary>
    public static string Runtime => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
}
