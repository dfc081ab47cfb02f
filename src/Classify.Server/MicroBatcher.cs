using System.Threading.Channels;
using Classify.Core.Prediction;
using Classify.Core.Uncertainty;

namespace Classify.Server;

/// <summary>Why a batcher refused texts.</summary>
public enum AdmitResult
{
    /// <summary>Queued.</summary>
    Accepted,
    /// <summary>The queue holds <see cref="ServerOptions.QueueCapacity"/> texts already (HTTP 429).</summary>
    QueueFull,
    /// <summary>
    /// The texts queued ahead would keep the model busy longer than <see cref="ServerOptions.MaxQueueDelayMs"/> at its
    /// measured rate (<see cref="ScoringRate"/>) (HTTP 429).
    /// </summary>
    QueueDelay,
    /// <summary>The batcher is stopping (HTTP 503).</summary>
    Stopping,
}

/// <summary>
/// Dynamic micro-batching for one model: texts of concurrent requests are queued, merged into batches of at most
/// <see cref="ServerOptions.MaxBatchSize"/> texts (waiting up to <see cref="ServerOptions.MaxBatchWaitMs"/> for more),
/// scored by one worker through <see cref="TextClassifier.Predict(IReadOnlyList{TextInput}, UncertaintyOptions, ulong, int, CancellationToken)"/>,
/// and the predictions routed back to each request. A row's prediction never depends on the rows batched with it (the
/// engine contract), so results equal scoring each request alone. The queue is bounded in texts
/// (<see cref="ServerOptions.QueueCapacity"/>) and in time (<see cref="ServerOptions.MaxQueueDelayMs"/>): a request is
/// refused at admission when the texts ahead of it would take longer than the bound at the measured scoring rate, and
/// answered <see cref="QueueDelayExceededException"/> instead of scored when it still waited longer than the bound by the
/// time its batch forms (the estimate is an average; bursts and slow batches get past it).
/// <para>Every limit counts rows, a text counting once per Monte-Carlo sample it asks for (<c>mc_samples</c>, an ONNX
/// package exported with <c>--mc-dropout</c>): a request of 4 texts with 10 samples weighs 40 in the batch size, the
/// queue capacity, <see cref="Pending"/> and the measured rate, as its forward passes do.</para>
/// </summary>
public sealed class MicroBatcher : IAsyncDisposable
{
    private readonly ServedModel _model;
    private readonly ServerOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private readonly TimeSpan _maxDelay;
    private int _pending;
    private bool _stopping;
    private WorkItem? _carry;

    /// <summary>Starts the worker of <paramref name="model"/>.</summary>
    public MicroBatcher(ServedModel model, ServerOptions options, ServerMetrics metrics)
    {
        _model = model;
        _options = options;
        _metrics = metrics;
        _clock = options.Clock ?? TimeProvider.System;
        _maxDelay = TimeSpan.FromMilliseconds(options.MaxQueueDelayMs);
        _metrics.QueueDepth.WithLabels(model.Name).Set(0);
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Texts accepted and not yet scored.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>The model's measured scoring speed (what admission estimates waits with).</summary>
    public ScoringRate Rate { get; } = new();

    /// <summary>How long the texts now accepted keep the model busy at its measured rate (null before the first batch).</summary>
    public TimeSpan? EstimatedWait => Rate.EstimateWait(Pending);

    /// <summary>
    /// Queues <paramref name="inputs"/>; on <see cref="AdmitResult.Accepted"/>, <paramref name="result"/> completes with
    /// one prediction per input, in order.
    /// </summary>
    public AdmitResult TryEnqueue(IReadOnlyList<TextInput> inputs, UncertaintyOptions uncertainty, ulong seed, out Task<IReadOnlyList<Prediction>> result)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        result = Task.FromResult<IReadOnlyList<Prediction>>([]);
        if (inputs.Count == 0) return AdmitResult.Accepted;
        var item = new WorkItem(inputs, uncertainty, seed, _clock.GetTimestamp());
        lock (_gate)
        {
            if (_stopping) return AdmitResult.Stopping;
            // One request larger than the whole queue is still taken when the queue is empty, so it cannot be refused forever.
            if (_pending > 0 && _pending + item.Rows > _options.QueueCapacity) return AdmitResult.QueueFull;
            // Only the texts ahead count, not the request's own: they are the wait; its own scoring time is the same
            // whether it waits or not, and a large request to an idle model must not be refused forever either.
            if (_maxDelay > TimeSpan.Zero && Rate.EstimateWait(_pending) > _maxDelay) return AdmitResult.QueueDelay;
            _pending += item.Rows;
            _queue.Writer.TryWrite(item);
        }
        _metrics.QueueDepth.WithLabels(_model.Name).Set(Pending);
        result = item.Done.Task;
        return AdmitResult.Accepted;
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<WorkItem>();
        while (true)
        {
            batch.Clear();
            if (_carry is { } carried)
            {
                batch.Add(carried);
                _carry = null;
            }
            else
            {
                if (!await reader.WaitToReadAsync().ConfigureAwait(false)) return;
                if (!reader.TryRead(out var first)) continue;
                batch.Add(first);
            }
            int count = batch[0].Rows;
            var deadline = DateTime.UtcNow.AddMilliseconds(_options.MaxBatchWaitMs);
            while (count < _options.MaxBatchSize)
            {
                if (reader.TryRead(out var next))
                {
                    if (count + next.Rows > _options.MaxBatchSize)
                    {
                        _carry = next;   // the next batch starts with it
                        break;
                    }
                    batch.Add(next);
                    count += next.Rows;
                    continue;
                }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) break;
                using var wait = new CancellationTokenSource(left);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            long formed = _clock.GetTimestamp();
            DropExpired(batch, formed);
            if (batch.Count == 0) continue;
            if (_options.BeforeBatch is { } hook) await hook(CancellationToken.None).ConfigureAwait(false);
            int texts = Score(batch);
            // The hook's time counts as scoring time: it stands for a slow model in the tests.
            var took = _clock.GetElapsedTime(formed);
            Rate.Observe(texts, took);
            _metrics.ScoringSeconds.WithLabels(_model.Name).Inc(took.TotalSeconds);
            if (Rate.TextsPerSecond is { } rate) _metrics.ScoringRate.WithLabels(_model.Name).Set(rate);
        }
    }

    // Requests that waited longer than the bound are answered now rather than scored: their clients may have given up,
    // and scoring them would only make the requests behind them late too.
    private void DropExpired(List<WorkItem> batch, long now)
    {
        for (int i = batch.Count - 1; i >= 0; i--)
        {
            var waited = _clock.GetElapsedTime(batch[i].EnqueuedAt, now);
            if (_maxDelay > TimeSpan.Zero && waited > _maxDelay)
            {
                Release(batch[i].Rows);
                batch[i].Done.TrySetException(new QueueDelayExceededException(waited, _maxDelay));
                batch.RemoveAt(i);
            }
            else _metrics.QueueWait.WithLabels(_model.Name).Observe(waited.TotalSeconds);
        }
    }

    // Scores the batch and answers its requests; returns the texts scored.
    private int Score(List<WorkItem> batch)
    {
        int scored = 0;
        // Requests asking for the same uncertainty settings and seed are scored in one call; a request for Monte-Carlo
        // samples is scored alone: an ONNX graph's dropout masks depend on every row of the call
        // (OnnxPredictor.PredictDropoutPasses), so merging would make its answer depend on the requests batched with it.
        foreach (var group in batch.GroupBy(i => (i.Uncertainty, i.Seed, Alone: i.Uncertainty.Sampled ? i : null)))
        {
            var items = group.ToArray();
            var inputs = items.Length == 1 ? items[0].Inputs : items.SelectMany(i => i.Inputs).ToArray();
            try
            {
                _metrics.BatchSize.WithLabels(_model.Name).Observe(inputs.Count);
                var predictions = _model.Classifier.Predict(inputs, group.Key.Uncertainty, group.Key.Seed, _options.MaxBatchSize);
                _metrics.Texts.WithLabels(_model.Name).Inc(inputs.Count);
                scored += items.Sum(i => i.Rows);
                int offset = 0;
                foreach (var item in items)
                {
                    var mine = new Prediction[item.Inputs.Count];
                    for (int i = 0; i < mine.Length; i++) mine[i] = predictions[offset + i];
                    offset += mine.Length;
                    Release(item.Rows);
                    item.Done.TrySetResult(mine);
                }
            }
            catch (Exception e)
            {
                foreach (var item in items)
                    if (!item.Done.Task.IsCompleted)
                    {
                        Release(item.Rows);
                        item.Done.TrySetException(e);
                    }
            }
        }
        return scored;
    }

    private void Release(int texts)
    {
        lock (_gate) _pending -= texts;
        _metrics.QueueDepth.WithLabels(_model.Name).Set(Pending);
    }

    /// <summary>Refuses new texts from now on; what is queued is still scored.</summary>
    public void StopAccepting()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            _queue.Writer.TryComplete();
        }
    }

    /// <summary>Stops accepting, then waits until every queued text is scored.</summary>
    public async ValueTask DisposeAsync()
    {
        StopAccepting();
        await _worker.ConfigureAwait(false);
    }

    private sealed class WorkItem(IReadOnlyList<TextInput> inputs, UncertaintyOptions uncertainty, ulong seed, long enqueuedAt)
    {
        public IReadOnlyList<TextInput> Inputs { get; } = inputs;
        // What the item weighs in every limit: one row per text and Monte-Carlo sample.
        public int Rows { get; } = (int)Math.Min(int.MaxValue, (long)inputs.Count * Math.Max(1, uncertainty.McSamples));
        public long EnqueuedAt { get; } = enqueuedAt;
        public UncertaintyOptions Uncertainty { get; } = uncertainty;
        public ulong Seed { get; } = seed;
        public TaskCompletionSource<IReadOnlyList<Prediction>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// A request waited in the queue longer than <see cref="ServerOptions.MaxQueueDelayMs"/> before its batch formed, so it
/// was not scored (HTTP 429).
/// </summary>
public sealed class QueueDelayExceededException(TimeSpan waited, TimeSpan bound)
    : Exception($"waited {waited.TotalMilliseconds:0} ms in the queue, more than the {bound.TotalMilliseconds:0.#} ms allowed")
{
    /// <summary>How long the request waited.</summary>
    public TimeSpan Waited { get; } = waited;

    /// <summary>The bound (<see cref="ServerOptions.MaxQueueDelayMs"/>).</summary>
    public TimeSpan Bound { get; } = bound;
}
