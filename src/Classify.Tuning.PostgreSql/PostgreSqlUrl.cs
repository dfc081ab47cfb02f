using System.Globalization;
using Classify.Core.IO;
using Npgsql;

namespace Classify.Tuning.PostgreSql;

/// <summary>
/// A libpq-style URL, <c>postgresql://user:password@host:port/database?option=value</c>, turned into Npgsql settings.
/// The host may be a unix-socket folder, percent-encoded (<c>postgresql://user@%2Ftmp%2Fpg/db</c>) or as
/// <c>?host=/tmp/pg</c>. Options: host, port, user, password, passfile, sslmode, connect_timeout, application_name.
/// Without a password in the URL, Npgsql looks in <c>passfile=</c>, <c>PGPASSWORD</c>, <c>PGPASSFILE</c> and
/// <c>~/.pgpass</c>, in that order.
/// </summary>
internal sealed class PostgreSqlUrl
{
    /// <summary>How long a connection attempt waits by default: a missing server is reported in seconds, not minutes.</summary>
    internal const int DefaultConnectTimeoutSeconds = 5;

    private static readonly string[] Options = ["host", "port", "user", "password", "passfile", "sslmode", "connect_timeout", "application_name"];

    private PostgreSqlUrl(NpgsqlConnectionStringBuilder settings) => Settings = settings;

    /// <summary>The Npgsql settings (they hold the password: never print them).</summary>
    internal NpgsqlConnectionStringBuilder Settings { get; }

    /// <summary>host:port (or the socket folder) and database, without user or password.</summary>
    internal string Description => $"postgresql://{Where}/{Settings.Database}";

    /// <summary>Where the server is: host:port, or the unix-socket folder.</summary>
    internal string Where => Settings.Host is { } h && h.StartsWith('/') ? $"{h} (unix socket, port {Settings.Port})" : $"{Bracketed(Settings.Host)}:{Settings.Port}";

    /// <summary>Parses <paramref name="url"/>; a malformed one is an <see cref="InputException"/> that does not echo the password.</summary>
    internal static PostgreSqlUrl Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = separator < 0 ? "" : url[..separator].ToLowerInvariant();
        if (scheme is not ("postgresql" or "postgres"))
            throw Bad("it must start with postgresql:// or postgres://");
        var rest = url[(separator + 3)..];
        string? query = null;
        var q = rest.IndexOf('?');
        if (q >= 0) (rest, query) = (rest[..q], rest[(q + 1)..]);
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var database = slash < 0 ? null : Decode(rest[(slash + 1)..]);

        var settings = new NpgsqlConnectionStringBuilder
        {
            Host = "localhost",
            Port = 5432,
            Timeout = DefaultConnectTimeoutSeconds,
            ApplicationName = "classify-tune",
            // Few connections per worker: every storage call takes one from the pool for a moment.
            MaxPoolSize = 4,
        };
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            settings.Username = Decode(colon < 0 ? userInfo : userInfo[..colon]);
            if (colon >= 0) settings.Password = Decode(userInfo[(colon + 1)..]);
        }
        if (authority.Length > 0) (settings.Host, settings.Port) = HostAndPort(authority);
        if (!string.IsNullOrEmpty(database)) settings.Database = database;

        foreach (var pair in (query ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Decode(eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            switch (key)
            {
                case "host": settings.Host = value; break;
                case "port": settings.Port = Port(value); break;
                case "user": settings.Username = value; break;
                case "password": settings.Password = value; break;
                case "passfile": settings.Passfile = value; break;
                case "sslmode":
                    settings.SslMode = Enum.TryParse<SslMode>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var mode)
                        ? mode : throw Bad($"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full");
                    break;
                case "connect_timeout":
                    settings.Timeout = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is > 0 and <= 1024
                        ? s : throw Bad($"connect_timeout '{value}' is not a number of seconds (1–1024)");
                    break;
                case "application_name": settings.ApplicationName = value; break;
                default: throw Bad($"unknown option '{key}' (known: {string.Join(", ", Options)})");
            }
        }
        settings.Database ??= settings.Username;
        if (string.IsNullOrEmpty(settings.Database)) throw Bad("it names no database (postgresql://user@host:port/database)");
        return new PostgreSqlUrl(settings);
    }

    private static (string Host, int Port) HostAndPort(string authority)
    {
        string host;
        string? port = null;
        if (authority.StartsWith('['))
        {
            // IPv6 literal: [::1]:5432
            var close = authority.IndexOf(']');
            if (close < 0) throw Bad("an IPv6 host needs a closing ]");
            host = authority[1..close];
            if (close + 1 < authority.Length)
            {
                if (authority[close + 1] != ':') throw Bad("expected :port after the IPv6 host");
                port = authority[(close + 2)..];
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            if (colon >= 0) port = authority[(colon + 1)..];
        }
        host = Decode(host);
        return (host.Length == 0 ? "localhost" : host, port is null ? 5432 : Port(port));
    }

    private static int Port(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
            ? p : throw Bad($"port '{text}' is not a number from 1 to 65535");

    private static string Decode(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            throw Bad("it has a malformed %-escape");
        }
    }

    private static string Bracketed(string? host) => host is not null && host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host ?? "localhost";

    // The URL itself is not repeated: it may carry a password.
    private static InputException Bad(string reason) => new($"the PostgreSQL URL is malformed: {reason}", field: "--storage");
}
