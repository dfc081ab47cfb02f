using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;

namespace Classify.Core.Tests.Configuration;

public sealed class ConfigDocumentTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory("classify-config-tests-");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    /// <summary>The 380-byte alias chain: each level is a list of nine aliases of the level before (9⁹ values expanded).</summary>
    internal static string AliasBomb(int levels = 9)
    {
        var yaml = new StringBuilder("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for (var level = 1; level < levels; level++)
        {
            var name = (char)('a' + level);
            var previous = (char)(name - 1);
            yaml.Append($"{name}: &{name} [{string.Join(',', Enumerable.Repeat($"*{previous}", 9))}]\n");
        }
        return yaml.ToString();
    }

    /// <summary><c>key: [[[…]]]</c> with <paramref name="levels"/> sequences inside each other.</summary>
    internal static string DeepNest(int levels, string key = "linear") =>
        $"{key}: {new string('[', levels)}{new string(']', levels)}\n";

    // ---- behaviour kept from the YamlStream reader ----

    [Fact]
    public void Plain_scalars_follow_the_yaml_1_2_core_schema_and_quoted_ones_stay_strings()
    {
        var tree = ConfigDocument.ParseYaml("""
            t: true
            f: False
            n: null
            tilde: ~
            empty:
            i: -42
            d: 1.5e-3
            text: hello world
            dotted: 1.2.3
            qi: "42"
            block: |
              12
            qb: 'true'
            """);
        Assert.True(tree["t"]!.GetValue<bool>());
        Assert.False(tree["f"]!.GetValue<bool>());
        Assert.True(tree.ContainsKey("n") && tree["n"] is null);
        Assert.Null(tree["tilde"]);
        Assert.True(tree.ContainsKey("empty") && tree["empty"] is null);
        Assert.Equal(-42L, tree["i"]!.GetValue<long>());
        Assert.Equal(1.5e-3, tree["d"]!.GetValue<double>());
        Assert.Equal("hello world", tree["text"]!.GetValue<string>());
        Assert.Equal("1.2.3", tree["dotted"]!.GetValue<string>());
        Assert.Equal("42", tree["qi"]!.GetValue<string>());
        Assert.Equal("true", tree["qb"]!.GetValue<string>());
        Assert.Equal("12\n", tree["block"]!.GetValue<string>());
    }

    [Fact]
    public void Nested_mappings_and_sequences_become_json()
    {
        var tree = ConfigDocument.ParseYaml("""
            name: run
            linear:
              search:
                c: [0.1, 1, 10]
                grid:
                  - {a: 1}
                  - [x, "y"]
            """);
        Assert.Equal("""{"name":"run","linear":{"search":{"c":[0.1,1,10],"grid":[{"a":1},["x","y"]]}}}""", tree.ToJsonString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n")]
    [InlineData("''")]
    public void An_empty_document_is_an_empty_config(string yaml) => Assert.Empty(ConfigDocument.ParseYaml(yaml));

    [Fact]
    public void Only_the_first_document_counts()
    {
        var tree = ConfigDocument.ParseYaml("a: 1\n---\nb: 2\n");
        Assert.Equal("""{"a":1}""", tree.ToJsonString());
    }

    [Theory]
    [InlineData("- a\n- b\n", 1)]
    [InlineData("just text\n", 1)]
    [InlineData("# comment\n\n[1, 2]\n", 3)]
    public void The_top_level_must_be_a_mapping(string yaml, int line)
    {
        var e = Assert.Throws<InputException>(() => ConfigDocument.ParseYaml(yaml, "c.yaml"));
        Assert.Contains("top level must be a mapping", e.Message);
        Assert.Equal("c.yaml", e.File);
        Assert.Equal(line, e.Line);
    }

    [Fact]
    public void A_repeated_key_names_the_line_and_the_key()
    {
        var e = Assert.Throws<InputException>(() => ConfigDocument.ParseYaml("data:\n  path: a.csv\n  label_col: x\n  path: b.csv\n", "c.yaml"));
        Assert.Equal("key appears twice", e.Reason);
        Assert.Equal(4, e.Line);
        Assert.Equal("data.path", e.Field);
        Assert.StartsWith("c.yaml:4, field 'data.path'", e.Message);
    }

    [Theory]
    [InlineData("data:\n  ? [a, b]\n  : 1\n", 2)]
    [InlineData("data:\n  ? {a: 1}\n  : 1\n", 2)]
    public void Keys_must_be_scalars(string yaml, int line)
    {
        var e = Assert.Throws<InputException>(() => ConfigDocument.ParseYaml(yaml, "c.yaml"));
        Assert.Equal("keys must be plain strings", e.Reason);
        Assert.Equal(line, e.Line);
        Assert.Equal("data", e.Field);
    }

    [Fact]
    public void Invalid_yaml_names_the_line()
    {
        var e = Assert.Throws<InputException>(() => ConfigDocument.ParseYaml("name: bad\ndata:\n  path: x\n label_col: y\nseed: 1\n", "c.yaml"));
        Assert.Contains("invalid YAML", e.Message);
        Assert.Equal(4, e.Line);
        Assert.Throws<InputException>(() => ConfigDocument.ParseYaml("a: [1, 2\nb: 3\n", "c.yaml"));
    }

    [Fact]
    public void Overrides_parse_flow_values_and_create_missing_objects()
    {
        var root = new JsonObject();
        ConfigDocument.ApplyOverride(root, "linear.search.c=[1, 3]");
        ConfigDocument.ApplyOverride(root, "linear.tfidf={min_df: 2, lowercase: false}");
        ConfigDocument.ApplyOverride(root, "seed=7");
        ConfigDocument.ApplyOverride(root, "name=my run");
        ConfigDocument.ApplyOverride(root, "data.text_col='01'");
        Assert.Equal("""{"linear":{"search":{"c":[1,3]},"tfidf":{"min_df":2,"lowercase":false}},"seed":7,"name":"my run","data":{"text_col":"01"}}""",
            root.ToJsonString());
        Assert.Throws<InputException>(() => ConfigDocument.ApplyOverride(root, "novalue"));
        var deep = Assert.Throws<InputException>(() => ConfigDocument.ApplyOverride(root, "x=" + new string('[', 100) + new string(']', 100)));
        Assert.Equal("--set x", deep.File);
    }

    // ---- anchors and aliases ----

    [Fact]
    public void Aliases_expand_to_independent_copies_of_the_anchored_value()
    {
        var tree = ConfigDocument.ParseYaml("""
            base: &grid {c: [1, 10], penalty: l2}
            key: &k penalty
            linear:
              search: *grid
              other: *grid
              *k : l1
            """);
        Assert.Equal("""{"c":[1,10],"penalty":"l2"}""", tree["linear"]!["search"]!.ToJsonString());
        Assert.Equal("l1", tree["linear"]!["penalty"]!.GetValue<string>());
        tree["linear"]!["search"]!["c"]!.AsArray().Add(100);
        Assert.Equal("""{"c":[1,10],"penalty":"l2"}""", tree["linear"]!["other"]!.ToJsonString());
        Assert.Equal("""{"c":[1,10],"penalty":"l2"}""", tree["base"]!.ToJsonString());
    }

    [Fact]
    public void An_alias_without_an_anchor_before_it_is_named()
    {
        var e = Assert.Throws<InputException>(() => ConfigDocument.ParseYaml("a: 1\nb: *nowhere\n", "c.yaml"));
        Assert.Contains("*nowhere", e.Message);
        Assert.Equal(2, e.Line);
        Assert.Equal("b", e.Field);
        // An anchor is defined once its value is complete, so a value cannot contain itself.
        Assert.Throws<InputException>(() => ConfigDocument.ParseYaml("a: &a [1, *a]\n", "c.yaml"));
    }

    [Fact]
    public void The_alias_bomb_is_refused_before_it_expands()
    {
        var bomb = Write("bomb.yaml", AliasBomb());
        Assert.InRange(new FileInfo(bomb).Length, 300, 400);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<InputException>(() => ConfigDocument.LoadYaml(bomb));
        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal(bomb, e.File);
        Assert.Equal(6, e.Line);   // f: the first level whose aliases pass 100,000 values
        Assert.Contains("alias *e", e.Message);
        Assert.Contains("100,000", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.True(allocated < 100L << 20, $"allocated {allocated >> 20} MB");
    }

    [Fact]
    public void Aliases_may_produce_up_to_100_000_values()
    {
        // root + key + the list and its 9,998 items: 10,001 values; each "kN: *l" adds a key and 9,999 values.
        var yaml = new StringBuilder($"l: &l [{string.Join(',', Enumerable.Repeat("1", 9_998))}]\n");
        for (var i = 0; i < 8; i++) yaml.Append($"k{i}: *l\n");
        // 10,001 + 8 × 10,000 = 90,001 values.
        var tree = ConfigDocument.ParseYaml(yaml.ToString());
        Assert.Equal(9_998, tree["k7"]!.AsArray().Count);

        yaml.Append("k8: *l\n");   // 100,001: one past the limit
        var e = Assert.Throws<InputException>(() => ConfigDocument.ParseYaml(yaml.ToString(), "c.yaml"));
        Assert.Equal(10, e.Line);
        Assert.Equal("k8", e.Field);
    }

    [Fact]
    public void More_than_100_000_values_are_refused_even_without_aliases()
    {
        // root mapping + key + sequence + n items.
        static string List(int n) => $"v: [{string.Join(',', Enumerable.Repeat("1", n))}]\n";
        Assert.Equal(99_997, ConfigDocument.ParseYaml(List(99_997))["v"]!.AsArray().Count);
        var e = Assert.Throws<InputException>(() => ConfigDocument.ParseYaml(List(99_998), "c.yaml"));
        Assert.Contains("100,000", e.Message);
        Assert.Equal("v", e.Field);
    }

    // ---- nesting depth ----

    [Fact]
    public void Values_may_nest_32_levels_and_no_deeper()
    {
        // The top-level mapping is level 1, so 31 sequences inside it reach 32.
        var tree = ConfigDocument.ParseYaml(DeepNest(31, "x"));
        Assert.NotNull(tree["x"]);
        var e = Assert.Throws<InputException>(() => ConfigDocument.ParseYaml(DeepNest(32, "x"), "c.yaml"));
        Assert.Contains("nested more than 32 levels", e.Message);
        Assert.Equal(1, e.Line);
        Assert.Equal("x", e.Field);
    }

    [Fact]
    public void An_alias_cannot_nest_values_past_the_depth_limit()
    {
        var anchored = new string('[', 20) + new string(']', 20);
        ConfigDocument.ParseYaml($"a: &a {anchored}\nb: *a\n");
        var e = Assert.Throws<InputException>(() => ConfigDocument.ParseYaml($"a: &a {anchored}\nb: {new string('[', 12)}*a{new string(']', 12)}\n", "c.yaml"));
        Assert.Contains("alias *a nests values more than 32 levels", e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void A_value_nested_100_000_deep_is_refused_without_overflowing_the_stack()
    {
        var deep = Write("deep.yaml", DeepNest(100_000));
        var e = Assert.Throws<InputException>(() => ConfigDocument.LoadYaml(deep));
        Assert.Equal(deep, e.File);
        Assert.Equal(1, e.Line);
        Assert.Equal("linear", e.Field);
    }

    // ---- file size ----

    [Fact]
    public void A_config_file_may_be_1_MiB_and_no_larger()
    {
        var line = "# " + new string('x', 1021) + "\n";   // 1,024 bytes
        var padding = string.Concat(Enumerable.Repeat(line, 1023));
        var header = "name: big\n";
        var fits = Write("fits.yaml", header + padding + "#" + new string('x', 1024 - header.Length - 2) + "\n");
        Assert.Equal(1L << 20, new FileInfo(fits).Length);
        Assert.Equal("big", ConfigDocument.LoadYaml(fits)["name"]!.GetValue<string>());

        var tooBig = Write("too-big.yaml", File.ReadAllText(fits) + "\n");
        var e = Assert.Throws<InputException>(() => ConfigDocument.LoadYaml(tooBig));
        Assert.Equal(tooBig, e.File);
        Assert.Contains("1,048,577 bytes", e.Message);
        Assert.Contains("1 MiB", e.Message);
    }
}
