using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary><c>classify serve</c>: refusals (exit 2, one line) and a real process serving, then draining on SIGTERM.</summary>
[Collection(TrainedTweetsCollection.Name)]
public class ServeCommandTests(TrainedTweetsModel trained)
{
    [Fact]
    public void A_transformer_checkpoint_is_refused_with_the_export_command_and_exit_2()
    {
        var result = CliRunner.RunExpecting(2, "serve", "--model", TestPaths.Fixture("tiny-bert"), "--port", "0");
        Assert.Contains("export it first: classify export --model", result.StderrUnwrapped);
        Assert.Contains("--format onnx -o OUT", result.StderrUnwrapped);
    }

    [Fact]
    public void Missing_folder_bad_limits_and_missing_key_file_are_input_errors()
    {
        Assert.Contains("model folder not found", CliRunner.RunExpecting(2, "serve", "--model", "/nonexistent/model").StderrUnwrapped);
        Assert.Contains("--max-batch-size", CliRunner.RunExpecting(2, "serve", "--model", trained.ModelDir, "--max-batch-size", "0").StderrUnwrapped);
        Assert.Contains("--max-queue-delay-ms", CliRunner.RunExpecting(2, "serve", "--model", trained.ModelDir, "--max-queue-delay-ms", "-1").StderrUnwrapped);
        Assert.Contains("must exceed --max-batch-wait-ms", CliRunner.RunExpecting(2, "serve", "--model", trained.ModelDir,
            "--max-batch-wait-ms", "20", "--max-queue-delay-ms", "10").StderrUnwrapped);
        Assert.Contains("API key file not found", CliRunner.RunExpecting(2, "serve", "--model", trained.ModelDir, "--api-key-file", "/nonexistent/keys").StderrUnwrapped);
    }

    [Fact]
    public void Serve_process_answers_then_drains_on_SIGTERM_and_exits_0()
    {
        int port = FreePort();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        string? answer = null;
        bool terminated = false;
        var result = CliRunner.RunProcess(["serve", "--model", $"tweets={trained.ModelDir}", "--port", port.ToString()], timeout: TimeSpan.FromMinutes(2),
            whileRunning: process =>
            {
                if (terminated) return;
                try
                {
                    if (client.GetAsync("readyz").GetAwaiter().GetResult().StatusCode != HttpStatusCode.OK) return;
                }
                catch (HttpRequestException)
                {
                    return;   // not listening yet
                }
                var response = client.PostAsync("v1/classify", new StringContent("{\"texts\": [\"what a lovely day\"]}", Encoding.UTF8, "application/json"))
                    .GetAwaiter().GetResult();
                answer = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                RunProbe.Sigterm(process);
                terminated = true;
            });
        Assert.True(terminated, result.ToString());
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(answer!);
        Assert.Equal("tweets", doc.RootElement.GetProperty("model").GetString());
        Assert.Single(doc.RootElement.GetProperty("predictions").EnumerateArray());
        Assert.Contains("listening on http://127.0.0.1:" + port, result.StderrUnwrapped);
        Assert.Contains("draining", result.StderrUnwrapped);
        Assert.Contains("stopped", result.StderrUnwrapped);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
