using System.CommandLine;
using System.Text.RegularExpressions;
using Classify.Cli.Terminal;
using Classify.Core.Prediction;
using YamlDotNet.RepresentationModel;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// deploy/k8s/*.yaml and the Dockerfile parse and agree with the CLI: the commands they run are parsed by the real
/// command tree (without running), the Indexed Job's shard count matches its completions, the merge step's count
/// matches both. (No cluster and no Docker daemon here: what they do at run time is not tested.)
/// </summary>
public sealed partial class DeployManifestTests
{
    private static string K8s => Path.Combine(TestPaths.RepoRoot, "deploy", "k8s");

    private static List<YamlMappingNode> Documents(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(K8s, file))) stream.Load(reader);
        return stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode)).ToList();
    }

    private static YamlMappingNode Kind(string file, string kind) => Assert.Single(Documents(file), d => S(d, "kind") == kind);

    private static YamlNode Get(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            var map = Assert.IsType<YamlMappingNode>(node);
            Assert.True(map.Children.TryGetValue(new YamlScalarNode(key), out var child), $"missing key {key} ({string.Join('.', path)})");
            node = child!;
        }
        return node;
    }

    private static string? S(YamlNode node, params string[] path) => ((YamlScalarNode)Get(node, path)).Value;

    private static string[] Strings(YamlNode node, params string[] path) =>
        ((YamlSequenceNode)Get(node, path)).Children.Select(c => ((YamlScalarNode)c).Value!).ToArray();

    private static YamlMappingNode Container(YamlMappingNode workload) =>
        (YamlMappingNode)Assert.Single(((YamlSequenceNode)Get(workload, "spec", "template", "spec", "containers")).Children);

    /// <summary>The parse errors of <c>classify args…</c> (nothing runs).</summary>
    private static IReadOnlyList<string> ParseErrors(string[] args)
    {
        var (root, _) = ClassifyApp.CreateRoot(new CommandContext(new ConsoleUi(TextWriter.Null, TextWriter.Null), CancellationToken.None));
        return root.Parse(args).Errors.Select(e => e.Message).ToArray();
    }

    private static bool HasVerb(string name)
    {
        var (root, _) = ClassifyApp.CreateRoot(new CommandContext(new ConsoleUi(TextWriter.Null, TextWriter.Null), CancellationToken.None));
        return root.Subcommands.Any(c => c.Name == name);
    }

    /// <summary>The shell script of merge-job.yaml (used by <see cref="ShardedPredictTests"/> to merge real parts).</summary>
    internal static string MergeScript() => Strings(Container(Kind("merge-job.yaml", "Job")), "args")[0];

    [Fact]
    public void Every_manifest_parses_and_names_its_kind()
    {
        var files = Directory.GetFiles(K8s, "*.yaml").Select(f => Path.GetFileName(f)!).Order().ToArray();
        Assert.Equal(["merge-job.yaml", "score-job.yaml", "serve.yaml"], files);
        foreach (var file in files)
            foreach (var doc in Documents(file))
            {
                Assert.False(string.IsNullOrEmpty(S(doc, "apiVersion")), file);
                Assert.False(string.IsNullOrEmpty(S(doc, "metadata", "name")), file);
            }
        Assert.Equal(["Deployment", "Service"], Documents("serve.yaml").Select(d => S(d, "kind")));
    }

    [Fact]
    public void The_scoring_job_is_indexed_and_its_commands_parse_for_every_index()
    {
        var job = Kind("score-job.yaml", "Job");
        Assert.Equal("Indexed", S(job, "spec", "completionMode"));
        int completions = int.Parse(S(job, "spec", "completions")!);
        Assert.Equal(completions, int.Parse(S(job, "spec", "parallelism")!));
        Assert.Equal("Never", S(job, "spec", "template", "spec", "restartPolicy"));
        var args = Strings(Container(job), "args");
        Assert.Equal("predict", args[0]);
        var shard = args[Array.IndexOf(args, "--shard") + 1];
        Assert.Equal($"$(JOB_COMPLETION_INDEX)/{completions}", shard);
        Assert.Contains("/data/out/part-$(JOB_COMPLETION_INDEX).csv", args);
        for (int i = 0; i < completions; i++)
        {
            // As the kubelet expands $(JOB_COMPLETION_INDEX) in args.
            var expanded = args.Select(a => a.Replace("$(JOB_COMPLETION_INDEX)", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            Assert.Empty(ParseErrors(expanded));
            Assert.Equal(new FileShard(i, completions), FileShard.Parse(expanded[Array.IndexOf(expanded, "--shard") + 1]));
        }
        // Every path the command reads or writes is under a mounted volume.
        var mounts = ((YamlSequenceNode)Get(Container(job), "volumeMounts")).Children.Select(m => S(m, "mountPath")!).ToArray();
        foreach (var flag in new[] { "--model", "--input", "--output" })
            Assert.Contains(mounts, m => args[Array.IndexOf(args, flag) + 1].StartsWith(m + "/", StringComparison.Ordinal));

        var merge = Kind("merge-job.yaml", "Job");
        var shards = ((YamlSequenceNode)Get(Container(merge), "env")).Children.Single(e => S(e, "name") == "SHARDS");
        Assert.Equal(completions.ToString(System.Globalization.CultureInfo.InvariantCulture), S(shards, "value"));
        Assert.Contains("/data/out/part-$i.csv", MergeScript());
    }

    [Fact]
    public void The_serve_deployment_has_probes_resources_scraping_and_a_secret_key_file()
    {
        var deployment = Kind("serve.yaml", "Deployment");
        Assert.Equal("2", S(deployment, "spec", "replicas"));
        var c = Container(deployment);
        Assert.Equal("/readyz", S(c, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/healthz", S(c, "livenessProbe", "httpGet", "path"));
        foreach (var kind in new[] { "requests", "limits" })
            foreach (var resource in new[] { "cpu", "memory" })
                Assert.False(string.IsNullOrEmpty(S(c, "resources", kind, resource)));
        var annotations = Get(deployment, "spec", "template", "metadata", "annotations");
        Assert.Equal("true", S(annotations, "prometheus.io/scrape"));
        Assert.Equal("/metrics", S(annotations, "prometheus.io/path"));

        var args = Strings(c, "args");
        Assert.Equal("serve", args[0]);
        string port = args[Array.IndexOf(args, "--port") + 1];
        Assert.Equal(port, S(annotations, "prometheus.io/port"));
        Assert.Equal(port, S(((YamlSequenceNode)Get(c, "ports")).Children[0], "containerPort"));
        Assert.Equal("0.0.0.0", args[Array.IndexOf(args, "--host") + 1]);
        // The key file lives in the Secret's mount, the model folder in the models volume.
        var mounts = ((YamlSequenceNode)Get(c, "volumeMounts")).Children.ToDictionary(m => S(m, "name")!, m => S(m, "mountPath")!);
        var volumes = ((YamlSequenceNode)Get(deployment, "spec", "template", "spec", "volumes")).Children.Cast<YamlMappingNode>()
            .ToDictionary(v => S(v, "name")!);
        var keyVolume = Assert.Single(volumes.Values, v => v.Children.ContainsKey(new YamlScalarNode("secret")));
        Assert.StartsWith(mounts[S(keyVolume, "name")!] + "/", args[Array.IndexOf(args, "--api-key-file") + 1]);
        var model = args[Array.IndexOf(args, "--model") + 1];
        Assert.Matches("^[a-z0-9-]+=/", model);
        Assert.StartsWith(mounts["models"] + "/", model[(model.IndexOf('=') + 1)..]);

        var service = Kind("serve.yaml", "Service");
        var podLabels = (YamlMappingNode)Get(deployment, "spec", "template", "metadata", "labels");
        foreach (var (key, value) in (YamlMappingNode)Get(service, "spec", "selector"))
            Assert.Equal(((YamlScalarNode)value).Value, S(podLabels, ((YamlScalarNode)key).Value!));
        Assert.Equal("http", S(((YamlSequenceNode)Get(service, "spec", "ports")).Children[0], "targetPort"));

        // `serve` is built on another branch: its flags are checked by the real parser once it is here.
        if (HasVerb("serve")) Assert.Empty(ParseErrors(args));
    }

    [GeneratedRegex(@"^ENTRYPOINT\s+(\[.*\])\s*$", RegexOptions.Multiline)]
    private static partial Regex Entrypoint();

    [GeneratedRegex(@"^CMD\s+(\[.*\])\s*$", RegexOptions.Multiline)]
    private static partial Regex Cmd();

    [Fact]
    public void The_dockerfile_publishes_this_cli_and_runs_its_assembly()
    {
        var dockerfile = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "Dockerfile"));
        var project = Regex.Match(dockerfile, @"dotnet publish (\S+\.csproj)").Groups[1].Value;
        Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot, project)), project);
        var entry = System.Text.Json.JsonSerializer.Deserialize<string[]>(Entrypoint().Match(dockerfile).Groups[1].Value)!;
        Assert.Equal("dotnet", entry[0]);
        Assert.Equal(Path.GetFileName(typeof(ClassifyApp).Assembly.Location), Path.GetFileName(entry[1]));
        var cmd = System.Text.Json.JsonSerializer.Deserialize<string[]>(Cmd().Match(dockerfile).Groups[1].Value)!;
        Assert.Empty(ParseErrors(cmd));
        // The port the image exposes is the one the Deployment serves on.
        var exposed = Regex.Match(dockerfile, @"^EXPOSE (\d+)", RegexOptions.Multiline).Groups[1].Value;
        Assert.Equal(exposed, S(((YamlSequenceNode)Get(Container(Kind("serve.yaml", "Deployment")), "ports")).Children[0], "containerPort"));
        // The lean target exists and the default (last) stage is the full one.
        Assert.Contains("AS lean", dockerfile);
        Assert.Equal("full", Regex.Matches(dockerfile, @"^FROM .* AS (\S+)\s*$", RegexOptions.Multiline)[^1].Groups[1].Value);
        var ignore = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, ".dockerignore"));
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
    }
}
