using System.Net;

namespace Classify.Server.Tests;

/// <summary>Serving never loads TorchSharp nor the transformer engine (this project does not reference them either).</summary>
public class NoTorchSharpTests
{
    [Fact]
    public async Task Serving_linear_and_onnx_requests_loads_no_TorchSharp_assembly()
    {
        await using (var host = await RunningServer.StartAsync(new ServerOptions
                     {
                         Models = [new ModelSpec("tweets", TestModels.LinearTweets), new ModelSpec("bert", TestModels.OnnxTinyBert)],
                     }))
        {
            Assert.Equal(HttpStatusCode.OK, (await host.ClassifyAsync(["so happy today", "awful"], model: "tweets")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await host.ClassifyAsync(["so happy today", "awful"], model: "bert")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("v1/models")).StatusCode);
        }
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "").ToArray();
        Assert.Contains("Microsoft.ML.OnnxRuntime", loaded);   // the check sees what serving used
        Assert.Contains("Classify.Server", loaded);
        Assert.DoesNotContain(loaded, n => n.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || n == "Classify.Transformers");
        Assert.DoesNotContain(typeof(ClassifyServer).Assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith("TorchSharp", StringComparison.Ordinal) || a.Name == "Classify.Transformers");
    }
}
