using Prometheus;

namespace Classify.Server;

/// <summary>
/// The Prometheus metrics of one server, in its own registry (several servers in one process do not mix):
/// <list type="bullet">
/// <item><c>classify_http_requests_total{endpoint, status}</c>: requests answered, by endpoint and status code;</item>
/// <item><c>classify_http_request_duration_seconds{endpoint}</c>: latency histogram;</item>
/// <item><c>classify_batch_size{model}</c>: texts per model call (histogram);</item>
/// <item><c>classify_queue_depth{model}</c>: texts accepted and not yet scored (gauge);</item>
/// <item><c>classify_texts_total{model}</c>: texts scored;</item>
/// <item><c>classify_scoring_seconds_total{model}</c>: time the model's worker spent scoring;</item>
/// <item><c>classify_scoring_rate{model}</c>: the measured scoring rate admission estimates waits with, texts per second (gauge);</item>
/// <item><c>classify_queue_wait_seconds{model}</c>: how long scored requests waited for their batch (histogram);</item>
/// <item><c>classify_rejected_total{model, reason}</c>: requests refused by the queue: <c>queue_full</c> (capacity),
/// <c>queue_delay</c> (the estimated wait exceeds <see cref="ServerOptions.MaxQueueDelayMs"/>), <c>expired</c> (waited
/// longer than that when its batch formed), <c>concurrency</c> (<see cref="ServerOptions.MaxConcurrentRequests"/> in
/// flight; model <c>*</c>, as the body naming it was not read), <c>draining</c>.</item>
/// </list>
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>Creates the metrics in a new registry.</summary>
    public ServerMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("classify_http_requests_total", "HTTP requests answered, by endpoint and status code.",
            new CounterConfiguration { LabelNames = ["endpoint", "status"] });
        Duration = factory.CreateHistogram("classify_http_request_duration_seconds", "HTTP request latency in seconds, by endpoint.",
            new HistogramConfiguration
            {
                LabelNames = ["endpoint"],
                Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            });
        BatchSize = factory.CreateHistogram("classify_batch_size", "Texts scored together in one model call.",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        QueueDepth = factory.CreateGauge("classify_queue_depth", "Texts accepted and not yet scored.",
            new GaugeConfiguration { LabelNames = ["model"] });
        Texts = factory.CreateCounter("classify_texts_total", "Texts scored.", new CounterConfiguration { LabelNames = ["model"] });
        Rejected = factory.CreateCounter("classify_rejected_total", "Requests refused before scoring: queue_full, queue_delay, expired, concurrency or draining.",
            new CounterConfiguration { LabelNames = ["model", "reason"] });
        ScoringSeconds = factory.CreateCounter("classify_scoring_seconds_total", "Seconds the model's worker spent scoring batches.",
            new CounterConfiguration { LabelNames = ["model"] });
        ScoringRate = factory.CreateGauge("classify_scoring_rate", "Measured scoring rate (moving average), texts per second.",
            new GaugeConfiguration { LabelNames = ["model"] });
        QueueWait = factory.CreateHistogram("classify_queue_wait_seconds", "Seconds a scored request waited in the queue for its batch.",
            new HistogramConfiguration
            {
                LabelNames = ["model"],
                Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
            });
    }

    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; }

    internal Counter Requests { get; }
    internal Histogram Duration { get; }
    internal Histogram BatchSize { get; }
    internal Gauge QueueDepth { get; }
    internal Counter Texts { get; }
    internal Counter Rejected { get; }
    internal Counter ScoringSeconds { get; }
    internal Gauge ScoringRate { get; }
    internal Histogram QueueWait { get; }
}
