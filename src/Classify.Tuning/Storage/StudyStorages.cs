using System.Collections.Concurrent;
using System.Reflection;
using Classify.Core.IO;

namespace Classify.Tuning.Storage;

/// <summary>
/// Opens a study storage for a <c>--storage</c> value with a URL scheme (<c>postgresql://…</c>), the way
/// DbProviderFactories maps invariant names to providers. An implementation lives in its own assembly so that the core
/// carries no database driver it does not use.
/// </summary>
public interface IStudyStorageProvider
{
    /// <summary>The URL schemes it opens, lower case without "://" (postgresql, postgres).</summary>
    IReadOnlyList<string> Schemes { get; }

    /// <summary>
    /// Opens (creating its tables if needed) the storage at <paramref name="url"/>; a server that cannot be reached or
    /// refuses the credentials is an <see cref="InputException"/> with a one-line message and nothing written.
    /// </summary>
    IStudyStorage Open(string url);
}

/// <summary>
/// The factory behind <c>--storage</c>: the SQLite ledger by default, a SQLite path or <c>sqlite:///path</c>, or a URL whose
/// scheme a registered <see cref="IStudyStorageProvider"/> opens (PostgreSQL from the opt-in Classify.Tuning.PostgreSql).
/// </summary>
public static class StudyStorages
{
    // Opt-in assemblies that provide a scheme: when such a scheme is asked for and nothing registered it, the assembly is
    // loaded by name if it was deployed (the CLI references it) and its providers register themselves. This keeps the
    // core free of Npgsql without every host having to remember a registration call.
    private static readonly IReadOnlyDictionary<string, string> KnownProviderAssemblies = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["postgresql"] = "Classify.Tuning.PostgreSql",
        ["postgres"] = "Classify.Tuning.PostgreSql",
    };

    private static readonly ConcurrentDictionary<string, IStudyStorageProvider> Providers = new(StringComparer.Ordinal);

    /// <summary>Makes <paramref name="provider"/> open its schemes (a later registration of a scheme replaces an earlier one).</summary>
    public static void Register(IStudyStorageProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        foreach (var scheme in provider.Schemes) Providers[scheme.ToLowerInvariant()] = provider;
    }

    /// <summary>
    /// Opens the storage named by <paramref name="storageUrl"/>: null or empty → the SQLite database at
    /// <paramref name="defaultSqlitePath"/> (the runs ledger); a plain path → that SQLite file; <c>sqlite:///relative.db</c>
    /// or <c>sqlite:////absolute.db</c> (Optuna's and SQLAlchemy's spelling) → that SQLite file; any other
    /// <c>scheme://</c> → its registered provider. Unknown schemes and a provider that is not deployed are
    /// <see cref="InputException"/>s on <c>--storage</c>.
    /// </summary>
    public static IStudyStorage Open(string? storageUrl, string defaultSqlitePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(defaultSqlitePath);
        if (string.IsNullOrWhiteSpace(storageUrl)) return SqliteStudyStorage.Open(defaultSqlitePath);
        var separator = storageUrl.IndexOf("://", StringComparison.Ordinal);
        if (separator < 0) return SqliteStudyStorage.Open(storageUrl);
        var scheme = storageUrl[..separator].ToLowerInvariant();
        if (scheme == "sqlite")
        {
            // sqlite:///runs/x.db is relative and sqlite:////tmp/x.db absolute: the third slash only ends the empty host.
            var path = storageUrl[(separator + 3)..];
            if (!path.StartsWith('/') || path.Length < 2)
                throw new InputException($"'{storageUrl}' is not a SQLite URL: write sqlite:///relative/path.db or sqlite:////absolute/path.db", field: "--storage");
            return SqliteStudyStorage.Open(path[1..]);
        }
        return ProviderFor(scheme, storageUrl).Open(storageUrl);
    }

    private static IStudyStorageProvider ProviderFor(string scheme, string storageUrl)
    {
        if (Providers.TryGetValue(scheme, out var provider)) return provider;
        if (!KnownProviderAssemblies.TryGetValue(scheme, out var assemblyName))
            throw new InputException($"unknown storage scheme '{scheme}://' (use a SQLite path, sqlite:///path or postgresql://user@host:port/database)", field: "--storage");
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(assemblyName);
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InputException($"{scheme}:// storage needs the {assemblyName} package, which is not installed with this program", field: "--storage");
        }
        foreach (var type in assembly.GetExportedTypes())
            if (typeof(IStudyStorageProvider).IsAssignableFrom(type) && !type.IsAbstract && type.GetConstructor(Type.EmptyTypes) is not null)
                Register((IStudyStorageProvider)Activator.CreateInstance(type)!);
        return Providers.TryGetValue(scheme, out provider)
            ? provider
            : throw new InputException($"{assemblyName} provides no storage for {scheme}:// ('{RedactedScheme(storageUrl)}')", field: "--storage");
    }

    // Never echo a URL that may hold a password.
    private static string RedactedScheme(string url) => url[..(url.IndexOf("://", StringComparison.Ordinal) + 3)] + "…";
}
