using System.Net;

namespace Classify.Server.Tests;

/// <summary>
/// Latency-aware admission (<see cref="ServerOptions.MaxQueueDelayMs"/>): the scoring-rate estimate, the 429 at
/// admission and the 429 of a request that waited too long; and the limit on requests in flight
/// (<see cref="ServerOptions.MaxConcurrentRequests"/>). Deterministic: time is a <see cref="ManualClock"/> that only
/// the test moves, and the batcher is held at a gate, so no assertion depends on how fast this machine is.
/// </summary>
public class AdmissionTests
{
    [Fact]
    public void The_rate_has_no_estimate_before_a_batch_then_averages_seconds_per_text()
    {
        var rate = new ScoringRate(smoothing: 0.5);
        Assert.Null(rate.SecondsPerText);
        Assert.Null(rate.TextsPerSecond);
        Assert.Null(rate.EstimateWait(3));
        Assert.Equal(TimeSpan.Zero, rate.EstimateWait(0));   // nothing ahead: no wait, measured or not

        rate.Observe(4, TimeSpan.FromMilliseconds(40));        // 10 ms a text: the first batch is taken as it is
        Assert.Equal(0.010, rate.SecondsPerText!.Value, 12);
        Assert.Equal(100, rate.TextsPerSecond!.Value, 9);
        Assert.Equal(30, rate.EstimateWait(3)!.Value.TotalMilliseconds, 9);

        rate.Observe(10, TimeSpan.FromMilliseconds(20));       // 2 ms a text: halfway with smoothing 0.5
        Assert.Equal(0.006, rate.SecondsPerText!.Value, 12);
        Assert.Equal(60, rate.EstimateWait(10)!.Value.TotalMilliseconds, 9);

        rate.Observe(0, TimeSpan.FromSeconds(5));               // an empty batch says nothing
        Assert.Equal(0.006, rate.SecondsPerText!.Value, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScoringRate(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScoringRate(1.5));
    }

    [Fact]
    public void The_bound_must_exceed_the_batch_wait_and_not_be_negative()
    {
        var options = new ServerOptions { Models = [new ModelSpec("a", "x")] };
        Assert.Equal(100, options.MaxQueueDelayMs);
        options.Validate();
        (options with { MaxQueueDelayMs = 0, MaxBatchWaitMs = 5 }).Validate();   // 0: no bound
        Assert.Equal("--max-queue-delay-ms", Assert.Throws<Core.IO.InputException>(() => (options with { MaxQueueDelayMs = -1 }).Validate()).Field);
        Assert.Equal("--max-queue-delay-ms", Assert.Throws<Core.IO.InputException>(() => (options with { MaxQueueDelayMs = double.NaN }).Validate()).Field);
        Assert.Equal("--max-queue-delay-ms", Assert.Throws<Core.IO.InputException>(() =>
            (options with { MaxQueueDelayMs = 5, MaxBatchWaitMs = 5 }).Validate()).Field);
    }

    [Fact]
    public async Task A_request_the_model_cannot_reach_in_time_gets_429_at_admission()
    {
        var clock = new ManualClock();
        var gates = new Gates();
        await using var host = await RunningServer.StartAsync(new ServerOptions { MaxQueueDelayMs = 50, Clock = clock, BeforeBatch = gates.Next });

        // One text scored in 40 ms (of the test's clock): the model's rate is now 25 texts/s.
        var first = host.ClassifyAsync(["the first text"]);
        await gates.WaitForBatchAsync(1);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        gates.Open(1);
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);

        // An empty queue admits whatever the rate; one text ahead is 40 ms of work (admitted), two are 80 ms (refused).
        var second = host.ClassifyAsync(["scored while the others wait"]);
        await gates.WaitForBatchAsync(2);
        // The worker records a batch's time after answering it, so only now, at its next batch, is the rate certain.
        Assert.Equal(25, await host.MetricAsync("classify_scoring_rate", "model=\"tweets\""));
        var third = host.ClassifyAsync(["one text ahead"]);
        await BatchingTests.WaitForQueueDepth(host, "tweets", 2);
        var refused = await host.ClassifyAsync(["two texts ahead"]);
        var error = await ErrorAssert.IsError(refused, 429);
        Assert.Contains("about 80 ms (at most 50 ms); retry later", error);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(1, await host.MetricAsync("classify_rejected_total", "model=\"tweets\",reason=\"queue_delay\""));

        gates.Open(2);
        gates.Open(3);
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await third).StatusCode);
        Assert.Null(await host.MetricAsync("classify_rejected_total", "model=\"tweets\",reason=\"expired\""));
        Assert.Null(await host.MetricAsync("classify_rejected_total", "model=\"tweets\",reason=\"queue_full\""));
    }

    [Fact]
    public async Task A_request_that_waited_longer_than_the_bound_when_its_batch_forms_gets_429_and_is_not_scored()
    {
        var clock = new ManualClock();
        var gates = new Gates();
        await using var host = await RunningServer.StartAsync(new ServerOptions { MaxQueueDelayMs = 50, Clock = clock, BeforeBatch = gates.Next });

        // Nothing measured yet, so both are admitted; the second waits behind the first batch, held for 120 ms.
        var first = host.ClassifyAsync(["the batch being scored"]);
        await gates.WaitForBatchAsync(1);
        var late = host.ClassifyAsync(["queued behind it"]);
        await BatchingTests.WaitForQueueDepth(host, "tweets", 2);
        clock.Advance(TimeSpan.FromMilliseconds(120));
        gates.Open(1);

        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        var error = await ErrorAssert.IsError(await late, 429);
        Assert.Contains("waited 120 ms in the queue, more than the 50 ms allowed", error);
        Assert.Equal(1, await host.MetricAsync("classify_rejected_total", "model=\"tweets\",reason=\"expired\""));
        Assert.Equal(1, await host.MetricAsync("classify_texts_total", "model=\"tweets\""));      // the late one was never scored
        Assert.Equal(1, await host.MetricAsync("classify_batch_size_count", "model=\"tweets\""));
        Assert.Equal(0, await host.MetricAsync("classify_queue_depth", "model=\"tweets\""));

        // The queue is free again: a new request is admitted and scored.
        var again = host.ClassifyAsync(["room again"]);
        await gates.WaitForBatchAsync(2);
        gates.Open(2);
        Assert.Equal(HttpStatusCode.OK, (await again).StatusCode);
    }

    [Fact]
    public async Task Without_a_bound_nothing_is_refused_for_time()
    {
        var clock = new ManualClock();
        var gates = new Gates();
        await using var host = await RunningServer.StartAsync(new ServerOptions { MaxQueueDelayMs = 0, Clock = clock, BeforeBatch = gates.Next });
        var first = host.ClassifyAsync(["first"]);
        await gates.WaitForBatchAsync(1);
        var second = host.ClassifyAsync(["second"]);
        await BatchingTests.WaitForQueueDepth(host, "tweets", 2);
        clock.Advance(TimeSpan.FromSeconds(10));
        gates.Open(1);
        gates.Open(2);
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
    }

    [Fact]
    public async Task Requests_beyond_the_concurrency_limit_get_429_before_their_body_is_read()
    {
        var gates = new Gates();
        await using var host = await RunningServer.StartAsync(new ServerOptions { MaxConcurrentRequests = 2, BeforeBatch = gates.Next });
        var first = host.ClassifyAsync(["held at the gate"]);
        await gates.WaitForBatchAsync(1);
        var second = host.ClassifyAsync(["queued behind it"]);
        await BatchingTests.WaitForQueueDepth(host, "tweets", 2);

        var refused = await host.PostJsonAsync("not even JSON: never read");
        var error = await ErrorAssert.IsError(refused, 429);
        Assert.Contains("2 requests in flight already; retry later", error);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(1, await host.MetricAsync("classify_rejected_total", "model=\"*\",reason=\"concurrency\""));
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("v1/models")).StatusCode);   // other endpoints are not counted

        gates.Open(1);
        gates.Open(2);
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
        gates.Open(3);
        Assert.Equal(HttpStatusCode.OK, (await host.ClassifyAsync(["room again"])).StatusCode);
        Assert.Equal("--max-concurrent-requests", Assert.Throws<Core.IO.InputException>(() =>
            new ServerOptions { Models = [new ModelSpec("a", "x")], MaxConcurrentRequests = -1 }.Validate()).Field);
    }

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    /// <summary>The batcher's hook: batch n (from 1) waits until <see cref="Open"/>(n).</summary>
    private sealed class Gates
    {
        private readonly Lock _lock = new();
        private readonly List<TaskCompletionSource> _gates = [];
        private int _batches;

        private TaskCompletionSource Gate(int n)
        {
            lock (_lock)
            {
                while (_gates.Count < n) _gates.Add(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                return _gates[n - 1];
            }
        }

        public Task Next(CancellationToken _) => Gate(Interlocked.Increment(ref _batches)).Task;

        public void Open(int n) => Gate(n).TrySetResult();

        public async Task WaitForBatchAsync(int n)
        {
            for (int i = 0; i < 400 && Volatile.Read(ref _batches) < n; i++) await Task.Delay(25);
            Assert.True(Volatile.Read(ref _batches) >= n, $"batch {n} never formed");
        }
    }
}
