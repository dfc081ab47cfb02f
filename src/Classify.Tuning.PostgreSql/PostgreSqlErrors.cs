using System.Net.Sockets;
using Classify.Core.IO;
using Npgsql;

namespace Classify.Tuning.PostgreSql;

/// <summary>
/// Turns what Npgsql throws while connecting into one line a user can act on: which server, and whether it is down, the
/// password is wrong or the database is missing. Never includes the password.
/// </summary>
internal static class PostgreSqlErrors
{
    /// <summary>The one-line <see cref="InputException"/> for a failure to open <paramref name="url"/>, or null when the
    /// exception is not a connection problem (a bug, to be reported as it is).</summary>
    internal static InputException? ForOpen(Exception e, PostgreSqlUrl url)
    {
        var reason = Reason(e, url);
        return reason is null ? null : new InputException($"PostgreSQL study storage {url.Description}: {reason}", field: "--storage", inner: e);
    }

    private static string? Reason(Exception e, PostgreSqlUrl url)
    {
        var user = url.Settings.Username ?? Environment.UserName;
        if (Find<PostgresException>(e) is { } pg)
            return pg.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword => $"wrong password for user '{user}' (or no such user)",
                PostgresErrorCodes.InvalidAuthorizationSpecification => $"the server refuses user '{user}' from this host (pg_hba.conf: {pg.MessageText})",
                PostgresErrorCodes.InvalidCatalogName => $"database '{url.Settings.Database}' does not exist (create it, e.g. createdb {url.Settings.Database})",
                PostgresErrorCodes.CannotConnectNow => "the server is starting up or shutting down; try again",
                PostgresErrorCodes.TooManyConnections => "the server has no free connection slots",
                PostgresErrorCodes.InsufficientPrivilege => $"user '{user}' may not create the study tables ({pg.MessageText})",
                _ => $"{pg.MessageText} (SQLSTATE {pg.SqlState})",
            };
        if (Find<SocketException>(e) is { } socket)
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"nothing listens at {url.Where} (connection refused): is the server running?",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"unknown host '{url.Settings.Host}'",
                SocketError.TimedOut => $"no answer from {url.Where} within {url.Settings.Timeout} s",
                SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported when url.Settings.Host?.StartsWith('/') == true
                    => $"no server socket in {url.Where}: is the server running?",
                _ => $"cannot reach {url.Where} ({socket.SocketErrorCode}: {socket.Message})",
            };
        if (Find<TimeoutException>(e) is not null || (e is NpgsqlException && e.Message.Contains("Timeout", StringComparison.OrdinalIgnoreCase)))
            return $"no answer from {url.Where} within {url.Settings.Timeout} s (connect_timeout=N in the URL waits longer)";
        if (e is NpgsqlException && e.Message.Contains("No password has been provided", StringComparison.Ordinal))
            return $"the server wants a password for user '{user}': put it in the URL, a passfile=… option, PGPASSWORD or ~/.pgpass";
        if (e is NpgsqlException npgsql)
            return $"cannot connect to {url.Where}: {FirstLine(npgsql.Message)}";
        return null;
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
