using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Classify.Server.Tests;

/// <summary>A few hundred random and mutated request bodies: never a 500, always 200 or a JSON error.</summary>
public class FuzzTests
{
    private static readonly string[] Seeds =
    [
        "{\"texts\": [\"I love it\", \"meh\"]}",
        "{\"texts\": [\"a\"], \"model\": \"tweets\", \"mc_samples\": 1, \"seed\": 3}",
        "{\"texts\": [\"\\ud83d\\ude00 emoji\", \"\\u00e9t\\u00e9\"], \"model\": null}",
    ];

    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "false", "0", "-1", "1e999", "18446744073709551616", "\"texts\"",
        "\"model\"", "\"mc_samples\"", "\"seed\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "\u00ff", "\ud83d\ude00", " ", "\n", "[[[[[[[[", "{\"a\":{\"b\":",
    ];

    [Fact]
    public async Task Random_and_mutated_bodies_never_get_500()
    {
        var random = new Random(20261204);
        await using var host = await RunningServer.StartAsync(new ServerOptions { MaxTextsPerRequest = 50, MaxCharsPerText = 500, MaxRequestBodyBytes = 64 << 10 });
        var statuses = new Dictionary<int, int>();
        for (int i = 0; i < 300; i++)
        {
            byte[] body = (i % 6) switch
            {
                0 => Mutate(Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)]), random),
                1 => Encoding.UTF8.GetBytes(Splice(Seeds[random.Next(Seeds.Length)], random)),
                2 => RandomBytes(random),
                3 => Encoding.UTF8.GetBytes(RandomJson(random, 0)),
                4 => Encoding.UTF8.GetBytes("{\"texts\": " + RandomJson(random, 0) + (random.Next(2) == 0 ? ", \"mc_samples\": " + RandomJson(random, 2) : "") + "}"),
                _ => Encoding.UTF8.GetBytes(new string('[', random.Next(1, 3000)) + new string(']', random.Next(0, 3000))),
            };
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue(random.Next(4) == 0 ? "text/plain" : "application/json");
            var response = await host.Client.PostAsync("v1/classify", content);
            int status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(status < 500, $"body #{i} {Convert.ToBase64String(body[..Math.Min(body.Length, 300)])}: {status} {text}");
            Assert.True(text.Length > 0, $"body #{i}: {status} with an empty answer");
            using var doc = JsonDocument.Parse(text);
            if (status == 200) Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("predictions").ValueKind);
            else Assert.Equal(JsonValueKind.String, doc.RootElement.GetProperty("error").ValueKind);
        }
        Assert.True(statuses.GetValueOrDefault(200) > 0 && statuses.GetValueOrDefault(400) > 0, string.Join(", ", statuses));
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed.ToList();
        for (int m = random.Next(1, 4); m > 0 && bytes.Count > 0; m--)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(3))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveAt(at); break;
                default: bytes.Insert(at, (byte)random.Next(256)); break;
            }
        }
        return bytes.ToArray();
    }

    private static string Splice(string seed, Random random)
    {
        int at = random.Next(seed.Length + 1);
        return seed[..at] + Fragments[random.Next(Fragments.Length)] + seed[at..];
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomJson(Random random, int depth) => (depth > 3 ? random.Next(4) : random.Next(7)) switch
    {
        0 => "null",
        1 => random.Next(2) == 0 ? "true" : "false",
        2 => random.Next(3) switch { 0 => random.Next(-5, 100).ToString(), 1 => "1.5e300", _ => "-0.25" },
        3 => JsonSerializer.Serialize(RandomString(random)),
        4 => "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 6)).Select(_ => RandomJson(random, depth + 1))) + "]",
        5 => "[" + string.Join(",", Enumerable.Range(0, random.Next(1, 6)).Select(_ => JsonSerializer.Serialize(RandomString(random)))) + "]",
        _ => "{" + string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ =>
            JsonSerializer.Serialize(new[] { "texts", "model", "mc_samples", "seed", "x" }[random.Next(5)]) + ":" + RandomJson(random, depth + 1))) + "}",
    };

    private static string RandomString(Random random)
    {
        var chars = new char[random.Next(0, 40)];
        for (int i = 0; i < chars.Length; i++) chars[i] = (char)(random.Next(4) == 0 ? random.Next(0xD800, 0xE000) : random.Next(32, 0x3000));
        return new string(chars);
    }
}
