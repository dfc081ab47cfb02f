using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Tests.Data;

namespace Classify.Core.Tests.Prediction;

[Collection(nameof(ModelSourcesTests))]   // the registry and the working folder are process-wide
public sealed class ModelSourcesTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly string _previous = Directory.GetCurrentDirectory();
    private readonly RecordingSource _source = new();

    public ModelSourcesTests()
    {
        ModelSources.Register(_source);
        Directory.SetCurrentDirectory(_dir.Path);
    }

    public void Dispose()
    {
        Directory.SetCurrentDirectory(_previous);
        ModelSources.Register(new RecordingSource());   // leave a source that answers nothing real
        _dir.Dispose();
    }

    [Fact]
    public void An_existing_folder_is_used_as_is()
    {
        Directory.CreateDirectory(Path.Combine(_dir.Path, "org", "name"));
        Assert.Equal(Path.Combine(_dir.Path, "org", "name"), ModelSources.Resolve("org/name"));
        Assert.Empty(_source.Asked);
    }

    [Theory]
    [InlineData("./runs/missing")]
    [InlineData("../nowhere/model")]
    [InlineData("/definitely/not/here")]
    [InlineData("~/no-such-classify-model")]
    [InlineData("runs/bsae")]   // "runs" exists here: a typo of a local path, never a hub id
    public void A_missing_local_path_is_reported_as_such_and_never_asked_of_a_source(string spec)
    {
        Directory.CreateDirectory(Path.Combine(_dir.Path, "runs", "base"));
        var e = Assert.Throws<InputException>(() => ModelSources.Resolve(spec, new ModelSourceOptions { Key = "--model" }));
        Assert.Contains("no such local folder", e.Message);
        Assert.Equal("--model", e.Field);
        Assert.Empty(_source.Asked);
    }

    [Fact]
    public void A_spec_a_source_recognises_goes_to_that_source()
    {
        Assert.Equal("/resolved/org/name", ModelSources.Resolve("org/name"));
        Assert.Equal(["org/name"], _source.Asked);
    }

    [Fact]
    public void A_file_or_an_unknown_spelling_is_an_input_error()
    {
        var file = _dir.Write("model.bin", "x");
        Assert.Contains("got a file", Assert.Throws<InputException>(() => ModelSources.Resolve(file)).Message);
        Assert.Contains("model not found", Assert.Throws<InputException>(() => ModelSources.Resolve("no-slash-here")).Message);
    }

    private sealed class RecordingSource : IModelSource
    {
        public List<string> Asked { get; } = [];
        public string Name => "test-hub";
        public string Syntax => "org/name";
        public bool Recognizes(string spec) => spec.Count(c => c == '/') == 1 && !spec.StartsWith('/');
        public Task<string> ResolveAsync(string spec, ModelSourceOptions options, CancellationToken cancellationToken)
        {
            Asked.Add(spec);
            return Task.FromResult("/resolved/" + spec);
        }
    }
}
