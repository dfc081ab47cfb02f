namespace Classify.Cli.Tests.Infrastructure;

/// <summary>
/// The smallest real transformer run: a scratch BERT-tiny on the 400-tweet slice (max_length 32, batches of 16, learning
/// rate 0.001), trained for a given number of steps in seconds. Train it in a child process with CLASSIFY_CACHE in the
/// test's workspace, so the scratch weights are cached there.
/// </summary>
internal static class TinyTransformer
{
    /// <summary>The run's YAML config; <paramref name="transformerSettings"/> are extra <c>transformer:</c> keys ("eval_steps: 5").</summary>
    public static string Config(string name, int maxSteps, params string[] transformerSettings) => $"""
        name: {name}
        seed: 7
        data:
          path: {DataSlices.Tweets400}
          label_col: sentiment
          id_col: textID
        engine: transformer
        transformer:
          model: scratch:bert-tiny
          learning_rate: 0.001
          per_device_train_batch_size: 16
          max_steps: {maxSteps}
          max_length: 32
        """ + string.Concat(transformerSettings.Select(s => "\n  " + s)) + "\n";
}
