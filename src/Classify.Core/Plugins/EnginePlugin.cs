namespace Classify.Core.Plugins;

/// <summary>
/// An engine shipped as a separate package (for example the TorchSharp transformer engine, which brings libtorch):
/// a host loads its assembly, reads <see cref="EnginePluginAttribute"/> and calls <see cref="Register"/>, which adds
/// its engines, model sources and pretrainers to Core's registries (<see cref="Prediction.ModelEngines"/>,
/// <see cref="Prediction.ModelSources"/>, <see cref="Training.Pretrainers"/>).
/// </summary>
public interface IEnginePlugin
{
    /// <summary>A short name for messages, e.g. <c>TorchSharp</c>.</summary>
    string Name { get; }

    /// <summary>Registers everything the plugin provides (idempotent).</summary>
    void Register();
}

/// <summary>Names the <see cref="IEnginePlugin"/> of an assembly: a public type with a public parameterless constructor.</summary>
/// <param name="pluginType">The plugin type.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class EnginePluginAttribute(Type pluginType) : Attribute
{
    /// <summary>The plugin type (implements <see cref="IEnginePlugin"/>).</summary>
    public Type PluginType { get; } = pluginType ?? throw new ArgumentNullException(nameof(pluginType));

    /// <summary>Creates the plugin of <paramref name="assembly"/>, or returns null when it declares none.</summary>
    /// <exception cref="InvalidOperationException">The declared type is not a constructible <see cref="IEnginePlugin"/>.</exception>
    public static IEnginePlugin? Create(System.Reflection.Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        if (assembly.GetCustomAttributes(typeof(EnginePluginAttribute), false) is not [EnginePluginAttribute attribute]) return null;
        return Activator.CreateInstance(attribute.PluginType) as IEnginePlugin
               ?? throw new InvalidOperationException($"{attribute.PluginType.FullName} in {assembly.GetName().Name} is not an {nameof(IEnginePlugin)}");
    }
}
