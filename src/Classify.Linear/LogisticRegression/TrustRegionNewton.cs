using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Classify.Core.Prediction;
using Classify.Linear.Sparse;

namespace Classify.Linear.LogisticRegression;

/// <summary>
/// liblinear's l2 primal objective of one binary problem, y ∈ {−1,+1}: f(w) = ½‖w‖² + Σᵢ cᵢ·log(1+exp(−yᵢ·w·x̃ᵢ)), where x̃ᵢ is
/// row i with, when fitting an intercept, one extra feature of value s (intercept_scaling) whose weight is penalised too.
/// Gives the value, the gradient and Hessian-vector products that <see cref="TrustRegionNewton"/> needs; one instance per
/// problem, single-threaded (the grid search parallelises across fits instead).
/// </summary>
internal sealed class L2LogisticNewtonObjective
{
    private readonly CsrMatrix _x;
    private readonly double[] _sign;
    private readonly double[] _cost;
    private readonly int _features;
    private readonly bool _intercept;
    private readonly double _interceptValue;
    private readonly double[] _curvature; // Dᵢ = cᵢ·σᵢ(1−σᵢ) at the last point whose gradient was taken
    private readonly double[] _residual;  // cᵢ·(σᵢ−1)·yᵢ at that point: the loss gradient is X̃ᵀ of it

    public L2LogisticNewtonObjective(CsrMatrix x, double[] sign, double[] cost, bool fitIntercept, double interceptValue)
    {
        _x = x;
        _sign = sign;
        _cost = cost;
        _features = x.Columns;
        _intercept = fitIntercept;
        _interceptValue = interceptValue;
        _curvature = new double[x.Rows];
        _residual = new double[x.Rows];
    }

    public int Dimension => _features + (_intercept ? 1 : 0);

    public int Rows => _x.Rows;

    /// <summary>Writes the margins zᵢ = w·x̃ᵢ into <paramref name="margins"/> and returns f(w).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double Value(double[] w, double[] margins)
    {
        var ptr = _x.RowPointers;
        var idx = _x.ColumnIndices;
        var val = _x.Values;
        double bias = _intercept ? w[_features] * _interceptValue : 0;
        for (int i = 0; i < margins.Length; i++)
        {
            double z = bias;
            for (int p = ptr[i]; p < ptr[i + 1]; p++) z += val[p] * w[idx[p]];
            margins[i] = z;
        }
        return ValueAt(w, margins);
    }

    /// <summary>f(w) from margins zᵢ = w·x̃ᵢ the caller already has (the trust-region step forms X̃·s as it goes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double ValueAt(double[] w, double[] margins)
    {
        // Σ cᵢ·log(1+e^mᵢ) with mᵢ = −yᵢ·zᵢ, as max(m, 0) + log(1 + e^−|m|): stable either side of 0.
        var acc = Vector<double>.Zero;
        var one = Vector<double>.One;
        int i = 0, width = Vector<double>.Count;
        for (; i <= margins.Length - width; i += width)
        {
            var m = -new Vector<double>(_sign, i) * new Vector<double>(margins, i);
            var c = new Vector<double>(_cost, i);
            var term = c * (Vector.Max(m, Vector<double>.Zero) + Vector.Log(one + Vector.Exp(-Vector.Abs(m))));
            acc += Vector.ConditionalSelect(Vector.Equals(c, Vector<double>.Zero), Vector<double>.Zero, term);
        }
        double loss = Vector.Sum(acc);
        for (; i < margins.Length; i++)
        {
            double m = -_sign[i] * margins[i];
            if (_cost[i] != 0) loss += _cost[i] * (Math.Max(m, 0) + Math.Log(1 + Math.Exp(-Math.Abs(m))));
        }
        return loss + 0.5 * VectorMath.Dot(w, w);
    }

    /// <summary>∇f(w) from the margins of <see cref="Value"/> at the same w; also keeps the curvature for <see cref="HessianVector"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Gradient(double[] w, double[] margins, double[] gradient)
    {
        // σᵢ, the probability of the observed sign, from e^−|yz| (never overflows); then Dᵢ and the residual.
        var one = Vector<double>.One;
        int i = 0, width = Vector<double>.Count;
        for (; i <= margins.Length - width; i += width)
        {
            var y = new Vector<double>(_sign, i);
            var c = new Vector<double>(_cost, i);
            var yz = y * new Vector<double>(margins, i);
            var e = Vector.Exp(-Vector.Abs(yz));
            var sigma = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(yz, Vector<double>.Zero), one / (one + e), e / (one + e));
            // Rows of zero cost contribute nothing, whatever their margin.
            var ignored = Vector.Equals(c, Vector<double>.Zero);
            Vector.ConditionalSelect(ignored, Vector<double>.Zero, c * sigma * (one - sigma)).CopyTo(_curvature, i);
            Vector.ConditionalSelect(ignored, Vector<double>.Zero, c * (sigma - one) * y).CopyTo(_residual, i);
        }
        for (; i < margins.Length; i++)
        {
            double c = _cost[i];
            if (c == 0) { _curvature[i] = 0; _residual[i] = 0; continue; }
            double sigma = LinkFunction.Sigmoid(_sign[i] * margins[i]);
            _curvature[i] = c * sigma * (1 - sigma);
            _residual[i] = c * (sigma - 1) * _sign[i];
        }
        Array.Copy(w, gradient, w.Length);
        var ptr = _x.RowPointers;
        var idx = _x.ColumnIndices;
        var val = _x.Values;
        for (i = 0; i < margins.Length; i++)
        {
            double r = _residual[i];
            if (r == 0) continue;
            for (int p = ptr[i]; p < ptr[i + 1]; p++) gradient[idx[p]] += val[p] * r;
            if (_intercept) gradient[_features] += r * _interceptValue;
        }
    }

    /// <summary>‖∇f(0)‖₂: the reference of liblinear's stopping rule, so a warm start does not tighten it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double GradientNormAtZero()
    {
        var gradient = SolverBuffers.Doubles(Dimension);
        var ptr = _x.RowPointers;
        var idx = _x.ColumnIndices;
        var val = _x.Values;
        for (int i = 0; i < _x.Rows; i++)
        {
            double r = -0.5 * _cost[i] * _sign[i];
            for (int p = ptr[i]; p < ptr[i + 1]; p++) gradient[idx[p]] += val[p] * r;
            if (_intercept) gradient[_features] += r * _interceptValue;
        }
        double norm = Math.Sqrt(VectorMath.Dot(gradient, gradient));
        SolverBuffers.Return(gradient);
        return norm;
    }

    /// <summary>
    /// H·v = v + X̃ᵀ·D·X̃·v at the point of the last <see cref="Gradient"/> call; also writes X̃·v to <paramref name="rowProducts"/>
    /// on every row of non-zero cost (the others are left as they are).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void HessianVector(double[] v, double[] result, double[] rowProducts)
    {
        Array.Copy(v, result, v.Length);
        var ptr = _x.RowPointers;
        var idx = _x.ColumnIndices;
        var val = _x.Values;
        double biasValue = _intercept ? v[_features] * _interceptValue : 0;
        double biasSum = 0;
        // Column indices come from the matrix and are in range by construction: read through refs, without bounds checks.
        ref int columns = ref MemoryMarshal.GetArrayDataReference(idx);
        ref double values = ref MemoryMarshal.GetArrayDataReference(val);
        ref double vv = ref MemoryMarshal.GetArrayDataReference(v);
        ref double hv = ref MemoryMarshal.GetArrayDataReference(result);
        for (int i = 0; i < _curvature.Length; i++)
        {
            if (_cost[i] == 0) continue;
            double dii = _curvature[i];
            int start = ptr[i], end = ptr[i + 1];
            double t = biasValue;
            for (int p = start; p < end; p++) t += Unsafe.Add(ref values, p) * Unsafe.Add(ref vv, Unsafe.Add(ref columns, p));
            rowProducts[i] = t;
            if (dii == 0) continue;
            t *= dii;
            for (int p = start; p < end; p++) Unsafe.Add(ref hv, Unsafe.Add(ref columns, p)) += Unsafe.Add(ref values, p) * t;
            biasSum += t;
        }
        if (_intercept) result[_features] += biasSum * _interceptValue;
    }
}

/// <summary>
/// Trust-region Newton with conjugate-gradient steps (Lin, Weng &amp; Keerthi 2008; liblinear's TRON, its solver for l2
/// logistic regression). Each iteration solves the Newton system only approximately inside a trust region, so a fit takes
/// a handful of Newton steps of a few Hessian-vector products each — far fewer data passes than a quasi-Newton method.
/// Stops when ‖∇f(w)‖₂ ≤ eps·‖∇f(0)‖₂ (liblinear's rule; the caller scales eps as liblinear does).
/// The hot methods here and in <see cref="NewGlmNet"/> are compiled fully optimised up front: a grid search calls each only
/// a few hundred times, so tiered compilation would run most of their loops in unoptimised or on-stack-replaced code.
/// </summary>
internal static class TrustRegionNewton
{
    private const double Eta0 = 1e-4, Eta1 = 0.25, Eta2 = 0.75;
    private const double Sigma1 = 0.25, Sigma2 = 0.5, Sigma3 = 4;

    /// <summary>Minimises in place from <paramref name="w"/> (zero or a warm start).</summary>
    public static MinimizationResult Minimize(L2LogisticNewtonObjective f, double[] w, double eps, int maxIter, CancellationToken cancellationToken)
    {
        int n = w.Length;
        double[] g = SolverBuffers.Doubles(n), s = SolverBuffers.Doubles(n), r = SolverBuffers.Doubles(n), d = SolverBuffers.Doubles(n),
            hd = SolverBuffers.Doubles(n), wNew = SolverBuffers.Doubles(n);
        double[] margins = SolverBuffers.Doubles(f.Rows), marginsNew = SolverBuffers.Doubles(f.Rows),
            xd = SolverBuffers.Doubles(f.Rows), xs = SolverBuffers.Doubles(f.Rows);
        var result = Minimize(f, w, eps, maxIter, cancellationToken, g, s, r, d, hd, wNew, margins, marginsNew, xd, xs);
        SolverBuffers.Return(g, s, r, d, hd, wNew, margins, marginsNew, xd, xs);
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static MinimizationResult Minimize(L2LogisticNewtonObjective f, double[] w, double eps, int maxIter, CancellationToken cancellationToken,
        double[] g, double[] s, double[] r, double[] d, double[] hd, double[] wNew, double[] margins, double[] marginsNew, double[] xd, double[] xs)
    {
        int n = w.Length;

        double threshold = eps * f.GradientNormAtZero();
        double fx = f.Value(w, margins);
        f.Gradient(w, margins, g);
        double gnorm = Math.Sqrt(Dot(g, g));
        if (gnorm <= threshold) return new MinimizationResult(fx, 0, true);
        double delta = gnorm;

        int iter = 0;
        while (iter < maxIter)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool reachedBoundary = ConjugateGradient(f, delta, g, s, r, d, hd, xd, xs);
            for (int j = 0; j < n; j++) wNew[j] = w[j] + s[j];
            double gs = Dot(g, s);
            double predicted = -0.5 * (gs - Dot(s, r));
            // The margins at w + s are those at w plus X̃·s, which the conjugate-gradient steps formed: no pass over the data.
            Array.Copy(margins, marginsNew, margins.Length);
            Axpy(1, xs, marginsNew);
            double fNew = f.ValueAt(wNew, marginsNew);
            double actual = fx - fNew;
            double snorm = Math.Sqrt(Dot(s, s));
            if (iter == 0) delta = Math.Min(delta, snorm);

            // Step-length estimate from a quadratic fitted along s, then liblinear's radius update.
            double alpha = fNew - fx - gs <= 0 ? Sigma3 : Math.Max(Sigma1, -0.5 * (gs / (fNew - fx - gs)));
            if (actual < Eta0 * predicted) delta = Math.Min(alpha * snorm, Sigma2 * delta);
            else if (actual < Eta1 * predicted) delta = Math.Max(Sigma1 * delta, Math.Min(alpha * snorm, Sigma2 * delta));
            else if (actual < Eta2 * predicted) delta = Math.Max(Sigma1 * delta, Math.Min(alpha * snorm, Sigma3 * delta));
            else delta = reachedBoundary ? Sigma3 * delta : Math.Max(delta, Math.Min(alpha * snorm, Sigma3 * delta));

            if (actual > Eta0 * predicted)
            {
                iter++;
                Array.Copy(wNew, w, n);
                (margins, marginsNew) = (marginsNew, margins);
                fx = fNew;
                f.Gradient(w, margins, g);
                gnorm = Math.Sqrt(Dot(g, g));
                if (gnorm <= threshold) return new MinimizationResult(fx, iter, true);
            }
            // No reduction is representable any more (double precision): stop, report the gradient test.
            if (actual <= 0 && predicted <= 0) break;
            if (Math.Abs(actual) <= 1e-12 * Math.Abs(fx) && Math.Abs(predicted) <= 1e-12 * Math.Abs(fx)) break;
        }
        return new MinimizationResult(fx, iter, gnorm <= threshold);
    }

    /// <summary>
    /// Approximately solves H·s = −g within ‖s‖ ≤ delta (Steihaug CG, relative residual 0.1). Leaves the residual
    /// −g − H·s in <paramref name="r"/> and X̃·s in <paramref name="xs"/> (<paramref name="xd"/> is work space for X̃·d);
    /// returns true when the step was cut at the trust-region boundary.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ConjugateGradient(L2LogisticNewtonObjective f, double delta, double[] g, double[] s, double[] r, double[] d, double[] hd,
        double[] xd, double[] xs)
    {
        int n = g.Length;
        for (int j = 0; j < n; j++) { s[j] = 0; r[j] = -g[j]; d[j] = r[j]; }
        Array.Clear(xs);
        double tolerance = 0.1 * Math.Sqrt(Dot(g, g));
        double rTr = Dot(r, r);
        while (Math.Sqrt(rTr) > tolerance)
        {
            f.HessianVector(d, hd, xd);
            double alpha = rTr / Dot(d, hd);
            Axpy(alpha, d, s);
            if (Math.Sqrt(Dot(s, s)) > delta)
            {
                // Back up and move along d exactly to the boundary.
                Axpy(-alpha, d, s);
                double std = Dot(s, d), sts = Dot(s, s), dtd = Dot(d, d), dsq = delta * delta;
                double rad = Math.Sqrt(std * std + dtd * (dsq - sts));
                alpha = std >= 0 ? (dsq - sts) / (std + rad) : (rad - std) / dtd;
                Axpy(alpha, d, s);
                Axpy(alpha, xd, xs);
                Axpy(-alpha, hd, r);
                return true;
            }
            Axpy(alpha, xd, xs);
            Axpy(-alpha, hd, r);
            double rNew = Dot(r, r);
            double beta = rNew / rTr;
            VectorMath.Scale(beta, d);
            Axpy(1, r, d);
            rTr = rNew;
        }
        return false;
    }

    private static double Dot(double[] a, double[] b) => VectorMath.Dot(a, b);

    private static void Axpy(double a, double[] x, double[] y) => VectorMath.Axpy(a, x, y);
}
