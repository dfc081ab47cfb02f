using Classify.Core.Configuration;
using Classify.Core.Plugins;
using Classify.Core.Training;

[assembly: EnginePlugin(typeof(Classify.Core.Tests.Plugins.EnginePluginTests.FakePlugin))]

namespace Classify.Core.Tests.Plugins;

/// <summary>The seams a separately shipped engine plugs into: the plugin attribute and the pretrainer registry.</summary>
public sealed class EnginePluginTests
{
    public sealed class FakePlugin : IEnginePlugin
    {
        public static int Registrations;

        public string Name => "fake";

        public void Register()
        {
            Interlocked.Increment(ref Registrations);
            Pretrainers.Register(new FakePretrainer("fake-plugin-objective"));
        }
    }

    private sealed class FakePretrainer(string name) : IPretrainer
    {
        public string Name => name;

        public IPretrainingJob Prepare(ConfigReader settings) => throw new NotSupportedException();
    }

    [Fact]
    public void The_attribute_names_the_plugin_of_an_assembly_and_registering_fills_the_registries()
    {
        var plugin = EnginePluginAttribute.Create(typeof(EnginePluginTests).Assembly);
        Assert.IsType<FakePlugin>(plugin);
        int before = FakePlugin.Registrations;
        plugin!.Register();
        Assert.Equal(before + 1, FakePlugin.Registrations);
        Assert.Equal("fake-plugin-objective", Pretrainers.Find("fake-plugin-objective")!.Name);
    }

    [Fact]
    public void An_assembly_without_the_attribute_has_no_plugin()
    {
        Assert.Null(EnginePluginAttribute.Create(typeof(object).Assembly));
    }

    [Fact]
    public void Pretrainers_are_registered_once_per_name_and_unknown_names_are_null()
    {
        var first = new FakePretrainer("registry-test");
        var second = new FakePretrainer("registry-test");
        Pretrainers.Register(first);
        Pretrainers.Register(second);
        Assert.Same(second, Pretrainers.Find("registry-test"));
        Assert.Null(Pretrainers.Find("no-such-objective"));
    }
}
