namespace Classify.Tuning.PostgreSql.Tests;

/// <summary>The test server from tests/postgres/with-postgres.sh, or a skip that says how to get one.</summary>
internal static class TestPostgres
{
    internal const string Variable = "CLASSIFY_TEST_POSTGRES";

    /// <summary>The server's URL (with its password); skips the calling test when it is not set.</summary>
    internal static string Url
    {
        get
        {
            var url = Environment.GetEnvironmentVariable(Variable);
            Skip.If(string.IsNullOrEmpty(url), $"{Variable} is unset: run under tests/postgres/with-postgres.sh (./test.sh does when it can)");
            return url!;
        }
    }

    /// <summary>The unix-socket folder of the test server, or a skip.</summary>
    internal static string SocketDirectory
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("CLASSIFY_TEST_POSTGRES_SOCKET_DIR");
            Skip.If(string.IsNullOrEmpty(dir), "CLASSIFY_TEST_POSTGRES_SOCKET_DIR is unset: run under tests/postgres/with-postgres.sh");
            return dir!;
        }
    }

    /// <summary>A local TCP port with nothing listening (bound, read, released).</summary>
    internal static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
