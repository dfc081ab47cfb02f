using Classify.Linear.Sparse;

namespace Classify.Linear.LogisticRegression;

/// <summary>
/// Splits the rows of a matrix into a fixed number of contiguous blocks. Every block accumulates into its own gradient
/// buffer and the buffers are summed in block order, so results are identical from run to run for a given degree.
/// </summary>
internal sealed class RowBlocks
{
    private readonly double[][] _partial; // gradient buffers of blocks 1.. (block 0 writes the caller's)
    private readonly double[] _blockLoss;

    public RowBlocks(int rows, int degree, int dimension)
    {
        int blocks = Math.Max(1, Math.Min(degree, rows / 256 + 1));
        Starts = new int[blocks + 1];
        for (int b = 0; b <= blocks; b++) Starts[b] = (int)((long)rows * b / blocks);
        _partial = new double[blocks][];
        for (int b = 1; b < blocks; b++) _partial[b] = new double[dimension];
        _blockLoss = new double[blocks];
    }

    /// <summary>Block boundaries: block b covers rows Starts[b] .. Starts[b+1]-1.</summary>
    public int[] Starts { get; }

    public int Count => Starts.Length - 1;

    /// <summary>
    /// Runs <paramref name="blockLoss"/>(block, zeroed gradient buffer) for every block, in parallel when there is more
    /// than one; leaves the sum of the buffers, in block order, in <paramref name="gradient"/> and returns the summed loss.
    /// </summary>
    public double Accumulate(double[] gradient, Func<int, double[], double> blockLoss)
    {
        Array.Clear(gradient);
        void Block(int b)
        {
            var buffer = b == 0 ? gradient : _partial[b];
            if (b != 0) Array.Clear(buffer);
            _blockLoss[b] = blockLoss(b, buffer);
        }
        if (Count == 1) Block(0);
        else Parallel.For(0, Count, new ParallelOptions { MaxDegreeOfParallelism = Count }, Block);
        double value = 0;
        for (int b = 0; b < Count; b++)
        {
            value += _blockLoss[b];
            if (b == 0) continue;
            var part = _partial[b];
            for (int j = 0; j < gradient.Length; j++) gradient[j] += part[j];
        }
        return value;
    }
}

/// <summary>
/// One binary logistic problem, y ∈ {−1,+1}: f(w,b) = Σᵢ cᵢ·log(1+exp(−yᵢ(xᵢ·w + s·b))) + ½‖w‖² (l2, optionally with b),
/// where cᵢ = C·(sample and class weight) and s is the intercept feature value (liblinear's intercept_scaling; 1 otherwise).
/// The l1 term, when used, is added by <see cref="OwlQn"/>. Parameters: w[0..d-1], then b when fitting an intercept.
/// </summary>
internal sealed class BinaryLogisticObjective : ISmoothObjective
{
    private readonly CsrMatrix _x;
    private readonly double[] _sign;
    private readonly double[] _cost;
    private readonly int _features;
    private readonly bool _intercept;
    private readonly double _interceptValue;
    private readonly bool _l2;
    private readonly bool _penalizeIntercept;
    private readonly RowBlocks _blocks;
    private readonly double[] _point;
    private readonly double[] _gradient;

    public BinaryLogisticObjective(CsrMatrix x, double[] sign, double[] cost, bool fitIntercept, double interceptValue,
        bool l2, bool penalizeIntercept, int degree)
    {
        _x = x;
        _sign = sign;
        _cost = cost;
        _features = x.Columns;
        _intercept = fitIntercept;
        _interceptValue = interceptValue;
        _l2 = l2;
        _penalizeIntercept = penalizeIntercept;
        _blocks = new RowBlocks(x.Rows, degree, Dimension);
        _point = new double[Dimension];
        _gradient = new double[Dimension];
    }

    public int Dimension => _features + (_intercept ? 1 : 0);

    public double Evaluate(ReadOnlySpan<double> parameters, Span<double> gradient)
    {
        var w = _point; // spans cannot cross into the parallel body
        parameters.CopyTo(w);
        var grad0 = _gradient;
        double value = _blocks.Accumulate(grad0, (b, grad) =>
        {
            double loss = 0;
            double bias = _intercept ? w[_features] * _interceptValue : 0;
            var ptr = _x.RowPointers;
            var idx = _x.ColumnIndices;
            var val = _x.Values;
            for (int i = _blocks.Starts[b]; i < _blocks.Starts[b + 1]; i++)
            {
                double c = _cost[i];
                if (c == 0) continue;
                double z = bias;
                int end = ptr[i + 1];
                for (int p = ptr[i]; p < end; p++) z += val[p] * w[idx[p]];
                double m = -_sign[i] * z; // loss = log(1+e^m), stable either side of 0
                loss += c * (m > 0 ? m + Math.Log(1 + Math.Exp(-m)) : Math.Log(1 + Math.Exp(m)));
                double r = -_sign[i] * c * (m > 0 ? 1 / (1 + Math.Exp(-m)) : Math.Exp(m) / (1 + Math.Exp(m)));
                for (int p = ptr[i]; p < end; p++) grad[idx[p]] += val[p] * r;
                if (_intercept) grad[_features] += r * _interceptValue;
            }
            return loss;
        });
        if (_l2)
        {
            int penalised = _penalizeIntercept ? Dimension : _features;
            double sq = 0;
            for (int j = 0; j < penalised; j++) { sq += w[j] * w[j]; grad0[j] += w[j]; }
            value += 0.5 * sq;
        }
        grad0.CopyTo(gradient);
        return value;
    }
}

/// <summary>
/// Multinomial (softmax) logistic loss over K classes: f(W,b) = Σᵢ cᵢ·(−log softmax(W·xᵢ + b)[yᵢ]) + ½‖W‖²_F (l2).
/// The intercepts are never penalised (sklearn's lbfgs/saga objective). Parameter layout is feature-major —
/// θ[j·K + k] — so that each stored entry of a sparse row touches K adjacent numbers; intercepts follow at d·K.
/// </summary>
internal sealed class MultinomialLogisticObjective : ISmoothObjective
{
    private readonly CsrMatrix _x;
    private readonly int[] _y;
    private readonly double[] _cost;
    private readonly int _classes;
    private readonly int _features;
    private readonly bool _intercept;
    private readonly bool _l2;
    private readonly RowBlocks _blocks;
    private readonly double[] _point;
    private readonly double[] _gradient;

    public MultinomialLogisticObjective(CsrMatrix x, int[] y, int classes, double[] cost, bool fitIntercept, bool l2, int degree)
    {
        _x = x;
        _y = y;
        _cost = cost;
        _classes = classes;
        _features = x.Columns;
        _intercept = fitIntercept;
        _l2 = l2;
        _blocks = new RowBlocks(x.Rows, degree, Dimension);
        _point = new double[Dimension];
        _gradient = new double[Dimension];
    }

    public int Dimension => (_features + (_intercept ? 1 : 0)) * _classes;

    public double Evaluate(ReadOnlySpan<double> parameters, Span<double> gradient)
    {
        var theta = _point;
        parameters.CopyTo(theta);
        var grad0 = _gradient;
        int k = _classes;
        int biasOffset = _features * k;
        double value = _blocks.Accumulate(grad0, (b, grad) =>
        {
            var z = new double[k];
            double loss = 0;
            var ptr = _x.RowPointers;
            var idx = _x.ColumnIndices;
            var val = _x.Values;
            for (int i = _blocks.Starts[b]; i < _blocks.Starts[b + 1]; i++)
            {
                double c = _cost[i];
                if (c == 0) continue;
                if (_intercept) Array.Copy(theta, biasOffset, z, 0, k);
                else Array.Clear(z);
                int end = ptr[i + 1];
                for (int p = ptr[i]; p < end; p++)
                {
                    int o = idx[p] * k;
                    double v = val[p];
                    for (int c2 = 0; c2 < k; c2++) z[c2] += v * theta[o + c2];
                }
                double max = z[0];
                for (int c2 = 1; c2 < k; c2++) max = Math.Max(max, z[c2]);
                double sum = 0;
                for (int c2 = 0; c2 < k; c2++) { z[c2] = Math.Exp(z[c2] - max); sum += z[c2]; }
                int yi = _y[i];
                // −log p_y = log Σ exp(z − max) − (z_y − max); z now holds exp(z − max).
                loss += c * (Math.Log(sum) - Math.Log(z[yi]));
                for (int c2 = 0; c2 < k; c2++) z[c2] = c * (z[c2] / sum - (c2 == yi ? 1 : 0));
                for (int p = ptr[i]; p < end; p++)
                {
                    int o = idx[p] * k;
                    double v = val[p];
                    for (int c2 = 0; c2 < k; c2++) grad[o + c2] += v * z[c2];
                }
                if (_intercept)
                    for (int c2 = 0; c2 < k; c2++) grad[biasOffset + c2] += z[c2];
            }
            return loss;
        });
        if (_l2)
        {
            double sq = 0;
            for (int j = 0; j < biasOffset; j++) { sq += theta[j] * theta[j]; grad0[j] += theta[j]; }
            value += 0.5 * sq;
        }
        grad0.CopyTo(gradient);
        return value;
    }
}
