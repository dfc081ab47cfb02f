namespace Classify.Server;

/// <summary>
/// The measured scoring speed of one model, for latency-aware admission: an exponentially weighted moving average of
/// the seconds per text of each scored batch, and from it how long the texts already queued will keep the model busy.
/// </summary>
/// <remarks>
/// Seconds per text (not texts per second) are averaged so that one slow batch raises the estimate as much as it
/// costs; averaging rates would let one fast batch hide it. The average follows the current operating point: under load
/// batches are large and cheap per text, lightly loaded they are small and dear, and a wait is estimated at the speed
/// of the batches the queue actually forms. Until a batch was scored there is no estimate and nothing is refused on it
/// (the queue capacity still applies). Thread-safe: one worker observes, request threads estimate.
/// </remarks>
public sealed class ScoringRate
{
    private readonly double _smoothing;
    private readonly Lock _gate = new();
    private double _secondsPerText = double.NaN;

    /// <summary>Creates an estimator without measurements.</summary>
    /// <param name="smoothing">The weight of the newest batch, in (0, 1] (default 0.2: about the last ten batches count).</param>
    public ScoringRate(double smoothing = 0.2)
    {
        if (!(smoothing is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "must be in (0, 1]");
        _smoothing = smoothing;
    }

    /// <summary>The averaged seconds per text, or null before the first batch.</summary>
    public double? SecondsPerText
    {
        get
        {
            lock (_gate) return double.IsNaN(_secondsPerText) ? null : _secondsPerText;
        }
    }

    /// <summary>The averaged scoring rate in texts per second, or null before the first batch.</summary>
    public double? TextsPerSecond => SecondsPerText is { } s && s > 0 ? 1 / s : null;

    /// <summary>Records a scored batch of <paramref name="texts"/> texts that took <paramref name="elapsed"/>.</summary>
    public void Observe(int texts, TimeSpan elapsed)
    {
        if (texts <= 0) return;
        double sample = Math.Max(0, elapsed.TotalSeconds) / texts;
        lock (_gate) _secondsPerText = double.IsNaN(_secondsPerText) ? sample : _smoothing * sample + (1 - _smoothing) * _secondsPerText;
    }

    /// <summary>
    /// How long <paramref name="textsAhead"/> texts (accepted, not yet scored, the batch being scored included) keep the
    /// model busy before a new request's texts are reached: zero for none, null while nothing was measured.
    /// </summary>
    public TimeSpan? EstimateWait(int textsAhead)
    {
        if (textsAhead <= 0) return TimeSpan.Zero;
        return SecondsPerText is { } s ? TimeSpan.FromSeconds(s * textsAhead) : null;
    }
}
