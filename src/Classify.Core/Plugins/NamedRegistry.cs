namespace Classify.Core.Plugins;

/// <summary>
/// A thread-safe list of named plugins in registration order, where registering a name again replaces the earlier
/// entry (so registration is idempotent and a loaded engine can take over a stand-in's name). Behind Core's registries:
/// <see cref="Prediction.ModelEngines"/>, <see cref="Prediction.ModelSources"/> and <see cref="Training.Pretrainers"/>.
/// </summary>
internal sealed class NamedRegistry<T>(Func<T, string> nameOf) where T : class
{
    private readonly List<T> _items = new();
    private readonly Lock _gate = new();

    /// <summary>Adds <paramref name="item"/>, replacing any entry of the same name.</summary>
    public void Register(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var name = nameOf(item);
        lock (_gate)
        {
            _items.RemoveAll(i => nameOf(i) == name);
            _items.Add(item);
        }
    }

    /// <summary>A snapshot of the entries, in registration order.</summary>
    public IReadOnlyList<T> All { get { lock (_gate) return _items.ToArray(); } }

    /// <summary>The entry of that name, or null.</summary>
    public T? Find(string name) { lock (_gate) return _items.FirstOrDefault(i => nameOf(i) == name); }
}
