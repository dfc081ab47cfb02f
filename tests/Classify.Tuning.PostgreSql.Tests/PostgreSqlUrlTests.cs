using Classify.Core.IO;
using Npgsql;

namespace Classify.Tuning.PostgreSql.Tests;

public sealed class PostgreSqlUrlTests
{
    [Fact]
    public void A_full_url_sets_user_password_host_port_and_database()
    {
        var url = PostgreSqlUrl.Parse("postgresql://tuner:p%40ss%3Aword@db.example:6543/studies");
        Assert.Equal(("tuner", "p@ss:word", "db.example", 6543, "studies"),
            (url.Settings.Username, url.Settings.Password, url.Settings.Host, url.Settings.Port, url.Settings.Database));
        Assert.Equal("postgresql://db.example:6543/studies", url.Description);
        Assert.Equal(PostgreSqlUrl.DefaultConnectTimeoutSeconds, url.Settings.Timeout);
    }

    [Fact]
    public void Defaults_follow_libpq_and_options_are_read()
    {
        var url = PostgreSqlUrl.Parse("postgres://tuner@/?passfile=%2Fhome%2Ft%2F.pgpass&sslmode=verify-full&connect_timeout=2&application_name=w1");
        Assert.Equal(("localhost", 5432, "tuner", (string?)null), (url.Settings.Host, url.Settings.Port, url.Settings.Database, url.Settings.Password));
        Assert.Equal(("/home/t/.pgpass", SslMode.VerifyFull, 2, "w1"), (url.Settings.Passfile, url.Settings.SslMode, url.Settings.Timeout, url.Settings.ApplicationName));
    }

    [Fact]
    public void Unix_sockets_and_ipv6_hosts_are_understood()
    {
        Assert.Equal("/run/postgresql", PostgreSqlUrl.Parse("postgresql://u@%2Frun%2Fpostgresql/db").Settings.Host);
        var socket = PostgreSqlUrl.Parse("postgresql://u@/db?host=/tmp/pg&port=5433");
        Assert.Equal(("/tmp/pg", 5433), (socket.Settings.Host, socket.Settings.Port));
        Assert.Equal("postgresql:///tmp/pg (unix socket, port 5433)/db", socket.Description);
        var v6 = PostgreSqlUrl.Parse("postgresql://u@[::1]:5444/db");
        Assert.Equal(("::1", 5444, "postgresql://[::1]:5444/db"), (v6.Settings.Host, v6.Settings.Port, v6.Description));
    }

    [Theory]
    [InlineData("mysql://u:secret@h/db", "must start with postgresql://")]
    [InlineData("postgresql://u:secret@h:99999/db", "port '99999'")]
    [InlineData("postgresql://u:secret@h/db?sslmode=maybe", "sslmode 'maybe'")]
    [InlineData("postgresql://u:secret@h/db?connect_timeout=0", "connect_timeout '0'")]
    [InlineData("postgresql://u:secret@h/db?pool=3", "unknown option 'pool'")]
    [InlineData("postgresql://:secret@h", "names no database")]
    public void Malformed_urls_are_input_errors_that_do_not_echo_the_password(string text, string expected)
    {
        var e = Assert.Throws<InputException>(() => PostgreSqlUrl.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("field '--storage': the PostgreSQL URL is malformed", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }
}
