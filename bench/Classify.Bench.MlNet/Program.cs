// ML.NET's default text classifier (FeaturizeText + SdcaMaximumEntropy, every option at its default) on exactly the
// train and test rows of a Classify run: the data is read with Classify's own loader from the same dataset config,
// then restricted to the ids in the run's splits/train_ids.csv and splits/test_ids.csv. Prints one JSON line:
// test macro-F1 (scikit-learn's: mean over the labels present in the test split or the predictions) and the fit seconds
// (featurizer + trainer fit on the training rows; data loading excluded, as Classify's run.json train_seconds).
// Usage: Classify.Bench.MlNet --config bench/defaults/datasets/tweets.yaml --run /tmp/runs/defaults-tweets [--seed 42]
using System.Diagnostics;
using System.Text.Json;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

string? configPath = null, runDir = null;
int seed = 42;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--config": configPath = args[++i]; break;
        case "--run": runDir = args[++i]; break;
        case "--seed": seed = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (configPath is null || runDir is null) { Console.Error.WriteLine("usage: --config FILE --run RUN_DIR [--seed N]"); return 2; }

var config = ExperimentConfig.Load(configPath);
var dataset = DatasetLoader.Load(config.Data.Path, config.DatasetOptions());
if (dataset.Schema.IsMultilabel) { Console.Error.WriteLine("ML.NET's SdcaMaximumEntropy is single-label; skip multilabel sets"); return 2; }
HashSet<string> Ids(string split) => File.ReadLines(Path.Combine(runDir, "splits", $"{split}_ids.csv")).Skip(1)
    .Select(line => line.Length > 1 && line[0] == '"' ? line[1..^1].Replace("\"\"", "\"") : line).ToHashSet(StringComparer.Ordinal);
var trainIds = Ids("train");
var testIds = Ids("test");
var labels = dataset.Schema.Labels;
Row ToRow(Example e) => new() { Text = e.Text, Label = labels[e.Label] };
var train = dataset.Examples.Where(e => trainIds.Contains(e.Id)).Select(ToRow).ToList();
var test = dataset.Examples.Where(e => testIds.Contains(e.Id)).Select(ToRow).ToList();
if (train.Count != trainIds.Count || test.Count != testIds.Count)
    throw new InvalidOperationException($"split ids not all found: train {train.Count}/{trainIds.Count}, test {test.Count}/{testIds.Count}");

var ml = new MLContext(seed);
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.Text.FeaturizeText("Features", nameof(Row.Text)))
    .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy())
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
var trainView = ml.Data.LoadFromEnumerable(train);
var clock = Stopwatch.StartNew();
var model = pipeline.Fit(trainView);
double fitSeconds = clock.Elapsed.TotalSeconds;
clock.Restart();
var predicted = ml.Data.CreateEnumerable<Prediction>(model.Transform(ml.Data.LoadFromEnumerable(test)), reuseRowObject: false)
    .Select(p => p.PredictedLabel).ToArray();
double predictSeconds = clock.Elapsed.TotalSeconds;

// scikit-learn's f1_score(average="macro"): labels = sorted union of the true and predicted labels
var present = test.Select(r => r.Label).Concat(predicted).Distinct().ToArray();
double sum = 0;
foreach (var label in present)
{
    int tp = 0, fp = 0, fn = 0;
    for (int i = 0; i < test.Count; i++)
    {
        bool t = test[i].Label == label, p = predicted[i] == label;
        if (t && p) tp++; else if (p) fp++; else if (t) fn++;
    }
    sum += tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
}
Console.WriteLine(JsonSerializer.Serialize(new
{
    tool = "ml.net", version = typeof(MLContext).Assembly.GetName().Version?.ToString(), n_train = train.Count, n_test = test.Count,
    macro_f1 = sum / present.Length, accuracy = test.Zip(predicted).Count(z => z.First.Label == z.Second) / (double)test.Count,
    train_seconds = fitSeconds, predict_seconds = predictSeconds,
}));
return 0;

/// <summary>One row as ML.NET reads it.</summary>
sealed class Row
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

/// <summary>The predicted label, mapped back to its name.</summary>
sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
}
