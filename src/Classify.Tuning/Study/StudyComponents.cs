using System.Collections.Concurrent;
using Classify.Core.IO;
using Classify.Tuning.Pruners;
using Classify.Tuning.Samplers;
using Classify.Tuning.Storage;

namespace Classify.Tuning.Study;

/// <summary>
/// The one place where sampler, pruner and storage names become objects, like <see cref="Classify.Core.Prediction.ModelEngines"/>
/// for engines: <c>grid | random | tpe</c>, <c>none | median | successive_halving</c>, and storage URLs. The built-in
/// implementations are listed in the tables below; <see cref="RegisterSampler"/> and <see cref="RegisterPruner"/> add or
/// replace one (a custom sampler, a test double).
/// </summary>
public static class StudyComponents
{
    // Built-in samplers by name, each seeded from the settings (the config's seed unless tune.sampler.seed is given).
    private static readonly ConcurrentDictionary<string, Func<SamplerSettings, ISampler>> Samplers = new(StringComparer.Ordinal)
    {
        ["grid"] = s => new GridSampler(),   // config order; a seed would shuffle the visiting order (not exposed in YAML)
        ["random"] = s => new RandomSampler(new RandomSamplerOptions { Seed = s.Seed }),
        ["tpe"] = s => new TpeSampler(new TpeSamplerOptions { Seed = s.Seed, NStartupTrials = s.StartupTrials, NEiCandidates = s.EiCandidates }),
    };

    // Built-in pruners by name; "none" needs no object (the driver never asks).
    private static readonly ConcurrentDictionary<string, Func<PrunerSettings, IPruner>> Pruners = new(StringComparer.Ordinal)
    {
        ["median"] = p => new MedianPruner(new MedianPrunerOptions { NStartupTrials = p.StartupTrials, NWarmupSteps = p.WarmupSteps }),
        ["successive_halving"] = p => new SuccessiveHalvingPruner(new SuccessiveHalvingPrunerOptions { MinResource = p.MinResource, ReductionFactor = p.ReductionFactor }),
    };

    /// <summary>
    /// The storage URL of studies kept in this process's memory only (tests, throw-away studies): one store per process,
    /// so a second session in the same process continues a study, and everything is gone when the process ends.
    /// </summary>
    public const string MemoryStorage = "memory:";

    private static readonly Lazy<InMemoryStudyStorage> ProcessMemory = new(() => new InMemoryStudyStorage());

    /// <summary>Adds or replaces the sampler called <paramref name="name"/>.</summary>
    public static void RegisterSampler(string name, Func<SamplerSettings, ISampler> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        Samplers[name] = create;
    }

    /// <summary>Adds or replaces the pruner called <paramref name="name"/>.</summary>
    public static void RegisterPruner(string name, Func<PrunerSettings, IPruner> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        Pruners[name] = create;
    }

    /// <summary>The sampler the settings name.</summary>
    /// <exception cref="InputException">No sampler of that name is available in this build.</exception>
    public static ISampler CreateSampler(SamplerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!Samplers.TryGetValue(settings.Name, out var create))
            throw new InputException($"the {settings.Name} sampler is not available in this build (available: {Available(Samplers.Keys)})", field: "tune.sampler.name");
        return create(settings);
    }

    /// <summary>The pruner the settings name, or null for <c>none</c>.</summary>
    /// <exception cref="InputException">No pruner of that name is available in this build.</exception>
    public static IPruner? CreatePruner(PrunerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Name == "none") return null;
        if (!Pruners.TryGetValue(settings.Name, out var create))
            throw new InputException($"the {settings.Name} pruner is not available in this build (available: none{(Pruners.IsEmpty ? "" : ", ")}{Available(Pruners.Keys)})", field: "tune.pruner.name");
        return create(settings);
    }

    /// <summary>
    /// Opens the study storage at <paramref name="url"/>, or the SQLite file <paramref name="defaultSqlitePath"/> when the
    /// URL is null. <c>memory:</c> keeps the study in this process only (<see cref="MemoryStorage"/>).
    /// </summary>
    /// <exception cref="InputException">A URL no storage of this build understands, or a storage that cannot be opened.</exception>
    public static IStudyStorage OpenStorage(string? url, string defaultSqlitePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultSqlitePath);
        if (url is not null && url.Trim() == MemoryStorage) return ProcessMemory.Value;   // disposing it keeps the studies
        // The storage names its setting as a flag; here it is the config key tune.storage (which --storage also sets).
        try { return StudyStorages.Open(url, defaultSqlitePath); }
        catch (InputException e) when (e.Field is "--storage") { throw new InputException(e.Reason, e.File, e.Line, "tune.storage", e); }
    }

    /// <summary>A storage URL fit for messages and outputs: a password in it is replaced by <c>***</c>.</summary>
    public static string WithoutSecrets(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.IsFile || string.IsNullOrEmpty(uri.UserInfo)) return url;
        var user = uri.UserInfo.Split(':')[0];
        var at = url.LastIndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return scheme < 0 || at < scheme ? url : $"{url[..(scheme + 3)]}{user}{(uri.UserInfo.Contains(':') ? ":***" : "")}{url[at..]}";
    }

    private static string Available(IEnumerable<string> names) => string.Join(", ", names.Order(StringComparer.Ordinal));
}
