namespace Classify.Cli.Tests.Infrastructure;

/// <summary>The config of a small transformer run: a scratch BERT-tiny on 400 tweets, batches of 16, max_length 32.</summary>
internal static class ScratchTransformer
{
    /// <summary>
    /// The YAML of the run <paramref name="name"/> (seed 7, <paramref name="maxSteps"/> steps); <paramref name="extra"/> adds
    /// top-level sections, <paramref name="transformerExtra"/> lines of the <c>transformer:</c> section (indented by two).
    /// </summary>
    public static string Config(string name, int maxSteps, string extra = "", string transformerExtra = "") => $"""
        name: {name}
        seed: 7
        data:
          path: {DataSlices.Tweets400}
          label_col: sentiment
          id_col: textID
        {extra.TrimEnd()}
        engine: transformer
        transformer:
          model: scratch:bert-tiny
          learning_rate: 0.001
          per_device_train_batch_size: 16
          per_device_eval_batch_size: 64
          max_steps: {maxSteps}
          max_length: 32
        {transformerExtra.TrimEnd()}
        """;
}
