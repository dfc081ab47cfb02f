using Classify.Reports.Charts;

namespace Classify.Reports.Tests.Reports;

/// <summary><see cref="TrainingCurves.Write"/>: the training-curves figure of a bare log.jsonl (the pretrain output folder's).</summary>
public class TrainingCurvesTests
{
    [Fact]
    public void A_pretraining_log_draws_loss_learning_rate_and_perplexity_and_an_empty_one_draws_nothing()
    {
        using var dir = new TempDirectory("curves");
        var log = System.IO.Path.Combine(dir.Path, "log.jsonl");
        File.WriteAllLines(log,
        [
            """{"loss":10.3,"grad_norm":2.9,"learning_rate":0.0008,"epoch":0.1,"step":2}""",
            """{"eval_loss":10.1,"eval_perplexity":24300.0,"eval_masked_tokens":101,"epoch":0.1,"step":2}""",
            """{"loss":10.1,"grad_norm":2.4,"learning_rate":0.0,"epoch":0.2,"step":4}""",
            """{"eval_loss":10.0,"eval_perplexity":22026.5,"eval_masked_tokens":101,"epoch":0.2,"step":4}""",
        ]);
        var chart = TrainingCurves.Write(log, dir.Path);
        Assert.NotNull(chart);
        Assert.True(new FileInfo(chart!.PngPath).Length > 1000);
        var svg = File.ReadAllText(chart.SvgPath);
        Assert.Contains("perplexity", svg);
        Assert.DoesNotContain("masked_tokens", svg);

        var empty = System.IO.Path.Combine(dir.Path, "empty.jsonl");
        File.WriteAllText(empty, "");
        Assert.Null(TrainingCurves.Write(empty, System.IO.Path.Combine(dir.Path, "none")));
        Assert.Null(TrainingCurves.Write(System.IO.Path.Combine(dir.Path, "missing.jsonl"), dir.Path));
    }
}
