using System.Net;
using System.Text;
using Classify.Core.IO;

namespace Classify.Server.Tests;

/// <summary>Bad requests get the right status and a one-line JSON error; bad models are refused at load.</summary>
public class BadInputTests
{
    [Theory]
    [InlineData("{\"texts\": [\"a\"", 400, "malformed JSON")]
    [InlineData("not json at all", 400, "malformed JSON")]
    [InlineData("", 400, "malformed JSON")]
    [InlineData("[\"a\"]", 400, "JSON object")]
    [InlineData("{\"texts\": \"just one\"}", 400, "texts: expected an array")]
    [InlineData("{\"texts\": [1, 2]}", 400, "texts[0]: expected a string")]
    [InlineData("{\"texts\": [\"a\", null]}", 400, "texts[1]: expected a string")]
    [InlineData("{\"texts\": []}", 400, "empty")]
    [InlineData("{}", 400, "texts: missing")]
    [InlineData("{\"text\": [\"a\"]}", 400, "unknown field 'text'")]
    [InlineData("{\"texts\": [\"a\"], \"model\": 3}", 400, "model: expected")]
    [InlineData("{\"texts\": [\"a\"], \"mc_samples\": \"ten\"}", 400, "mc_samples: expected a whole number")]
    [InlineData("{\"texts\": [\"a\"], \"mc_samples\": 1.5}", 400, "mc_samples: expected a whole number")]
    [InlineData("{\"texts\": [\"a\"], \"mc_samples\": 0}", 400, "mc_samples: must be from 1")]
    [InlineData("{\"texts\": [\"a\"], \"seed\": -1}", 400, "seed")]
    [InlineData("{\"texts\": [\"a\"], \"model\": \"nope\"}", 404, "unknown model 'nope' (served: tweets)")]
    public async Task Bad_request_gets_status_and_json_error(string body, int status, string message)
    {
        await using var host = await RunningServer.StartAsync();
        var error = await ErrorAssert.IsError(await host.PostJsonAsync(body), status);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task A_10_MB_text_gets_413()
    {
        await using var host = await RunningServer.StartAsync();
        var body = "{\"texts\": [\"" + new string('a', 10 << 20) + "\"]}";
        // As curl sends a large body: Expect: 100-continue, so the server can refuse it before it is sent.
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/classify") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        var error = await ErrorAssert.IsError(await host.Client.SendAsync(request), 413);
        Assert.Contains("larger than 1048576 bytes", error);
    }

    [Fact]
    public async Task A_large_body_without_content_length_gets_413_too()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions { MaxRequestBodyBytes = 4096 });
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/classify")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"texts\": [\"" + new string('b', 100_000) + "\"]}"))),
        };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;
        await ErrorAssert.IsError(await host.Client.SendAsync(request), 413);
    }

    [Fact]
    public async Task Too_many_texts_and_too_long_texts_get_400_naming_the_limit()
    {
        await using var host = await RunningServer.StartAsync(new ServerOptions { MaxTextsPerRequest = 3, MaxCharsPerText = 10 });
        Assert.Contains("4 texts in one request; at most 3", await ErrorAssert.IsError(await host.ClassifyAsync(["a", "b", "c", "d"]), 400));
        Assert.Contains("texts[1]: 11 characters; at most 10", await ErrorAssert.IsError(await host.ClassifyAsync(["short", "eleven char"]), 400));
        Assert.Equal(HttpStatusCode.OK, (await host.ClassifyAsync(["a", "b", "ten chars!"])).StatusCode);
    }

    [Fact]
    public async Task Unknown_path_wrong_method_and_wrong_content_type_get_json_errors()
    {
        await using var host = await RunningServer.StartAsync();
        Assert.Contains("no such endpoint", await ErrorAssert.IsError(await host.Client.GetAsync("v2/nothing"), 404));
        Assert.Contains("GET is not allowed", await ErrorAssert.IsError(await host.Client.GetAsync("v1/classify"), 405));
        var form = await host.Client.PostAsync("v1/classify", new StringContent("{\"texts\": [\"a\"]}", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Contains("Content-Type: application/json", await ErrorAssert.IsError(form, 415));
    }

    [Fact]
    public void A_transformer_package_is_refused_with_the_export_command()
    {
        // A Hugging Face checkpoint folder (config.json + model.safetensors) and a Classify transformer package alike.
        var checkpoint = TestPaths.Fixture("tiny-bert");
        var e = Assert.Throws<InputException>(() => ServedModel.Load(new ModelSpec("bert", checkpoint)));
        Assert.Contains("export it first: classify export --model " + checkpoint + " --format onnx -o OUT", e.Message);

        var dir = TestPaths.NewTempDirectory();
        try
        {
            new Core.Prediction.ModelManifest { Engine = "transformer", Task = "multiclass", Labels = ["a", "b"] }.Save(dir);
            var e2 = Assert.Throws<InputException>(() => ClassifyServer.Create(new ServerOptions { Models = [new ModelSpec("t", dir)] }));
            Assert.Contains("export it first: classify export --model", e2.Message);
            Assert.Equal("--model", e2.Field);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Missing_folders_duplicate_names_and_bad_options_are_input_errors_naming_the_option()
    {
        Assert.Contains("model folder not found", Assert.Throws<InputException>(() =>
            ClassifyServer.Create(new ServerOptions { Models = [new ModelSpec("x", "/nonexistent/model")] })).Message);
        Assert.Contains("two models are named 'a'", Assert.Throws<InputException>(() =>
            ClassifyServer.Create(new ServerOptions { Models = [new ModelSpec("a", "x"), new ModelSpec("a", "y")] })).Message);
        Assert.Equal("--max-batch-size", Assert.Throws<InputException>(() =>
            new ServerOptions { Models = [new ModelSpec("a", "x")], MaxBatchSize = 0 }.Validate()).Field);
        Assert.Equal("--port", Assert.Throws<InputException>(() =>
            new ServerOptions { Models = [new ModelSpec("a", "x")], Port = 70000 }.Validate()).Field);
    }

    [Theory]
    [InlineData("runs/tweets/model", "tweets", "runs/tweets/model")]
    [InlineData("deploy/bert-int8", "bert-int8", "deploy/bert-int8")]
    [InlineData("sent=runs/a=b/model", "sent", "runs/a=b/model")]
    [InlineData("runs/a=b", "a-b", "runs/a=b")]
    public void Model_specs_parse_name_and_folder(string spec, string name, string dir)
    {
        var parsed = ModelSpec.Parse(spec);
        Assert.Equal(name, parsed.Name);
        Assert.Equal(dir, parsed.Directory);
    }
}
