using Classify.Core.Configuration;
using Classify.Core.Plugins;
using Classify.Core.Training;
using Classify.Transformers.Pretraining;

[assembly: EnginePlugin(typeof(Classify.Transformers.Engine.TorchSharpEnginePlugin))]

namespace Classify.Transformers.Engine;

/// <summary>
/// The entry point a host (the lean <c>classify</c> tool) calls after loading this assembly, in its own load context
/// from the <c>Classify.TorchSharp</c> tool's folder or directly when it references it: registers the transformer
/// engine, the <c>scratch:</c> model source (<see cref="TransformerEngine.Register"/>) and the masked-LM pretrainer.
/// </summary>
public sealed class TorchSharpEnginePlugin : IEnginePlugin
{
    /// <inheritdoc />
    public string Name => "TorchSharp";

    /// <inheritdoc />
    public void Register()
    {
        TransformerEngine.Register();
        Pretrainers.Register(new MlmPretraining());
    }

    /// <summary><c>classify pretrain</c>'s work: <see cref="PretrainingArguments.Read"/> then <see cref="MlmPretrainer.Run"/>.</summary>
    private sealed class MlmPretraining : IPretrainer
    {
        public string Name => "mlm";

        public IPretrainingJob Prepare(ConfigReader settings) => new Job(PretrainingArguments.Read(settings));

        private sealed class Job(PretrainingArguments args) : IPretrainingJob
        {
            public PretrainingOutcome Run(string outputDirectory, bool resume, Action<string>? log, IProgress<ProgressUpdate>? progress, CancellationToken cancellationToken)
            {
                var result = new MlmPretrainer { Log = log, Progress = progress }.Run(args, outputDirectory, resume, cancellationToken);
                return new PretrainingOutcome(result.Output.Root, result.Output.LogJsonl, result.Metrics);
            }
        }
    }
}
