using System.Numerics;
using System.Runtime.CompilerServices;

namespace Classify.Linear.LogisticRegression;

/// <summary>SIMD kernels over dense arrays for the Newton solvers (the dense passes over all rows dominate l1 fits).</summary>
internal static class VectorMath
{
    /// <summary>Σ a[i]·b[i].</summary>
    public static double Dot(double[] a, double[] b)
    {
        var acc = Vector<double>.Zero;
        int i = 0, width = Vector<double>.Count;
        for (; i <= a.Length - width; i += width) acc += new Vector<double>(a, i) * new Vector<double>(b, i);
        double sum = Vector.Sum(acc);
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Σ a[i]·b[i]·c[i].</summary>
    public static double Dot(double[] a, double[] b, double[] c)
    {
        var acc = Vector<double>.Zero;
        int i = 0, width = Vector<double>.Count;
        for (; i <= a.Length - width; i += width) acc += new Vector<double>(a, i) * new Vector<double>(b, i) * new Vector<double>(c, i);
        double sum = Vector.Sum(acc);
        for (; i < a.Length; i++) sum += a[i] * b[i] * c[i];
        return sum;
    }

    /// <summary>Σ a[i].</summary>
    public static double Sum(double[] a)
    {
        var acc = Vector<double>.Zero;
        int i = 0, width = Vector<double>.Count;
        for (; i <= a.Length - width; i += width) acc += new Vector<double>(a, i);
        double sum = Vector.Sum(acc);
        for (; i < a.Length; i++) sum += a[i];
        return sum;
    }

    /// <summary>y[i] += a·x[i].</summary>
    public static void Axpy(double a, double[] x, double[] y)
    {
        var va = new Vector<double>(a);
        int i = 0, width = Vector<double>.Count;
        for (; i <= y.Length - width; i += width) (new Vector<double>(y, i) + va * new Vector<double>(x, i)).CopyTo(y, i);
        for (; i < y.Length; i++) y[i] += a * x[i];
    }

    /// <summary>y[i] += a.</summary>
    public static void Add(double a, double[] y)
    {
        var va = new Vector<double>(a);
        int i = 0, width = Vector<double>.Count;
        for (; i <= y.Length - width; i += width) (new Vector<double>(y, i) + va).CopyTo(y, i);
        for (; i < y.Length; i++) y[i] += a;
    }

    /// <summary>y[i] *= a.</summary>
    public static void Scale(double a, double[] y)
    {
        var va = new Vector<double>(a);
        int i = 0, width = Vector<double>.Count;
        for (; i <= y.Length - width; i += width) (new Vector<double>(y, i) * va).CopyTo(y, i);
        for (; i < y.Length; i++) y[i] *= a;
    }

    /// <summary>
    /// The loss change of newGLMNET's line search, in liblinear's exp(w·x) form: for every row, eᵢ' = eᵢ·exp(δᵢ) is written
    /// to <paramref name="expNew"/> and Σ cᵢ·log((1+eᵢ')/(exp(δᵢ)+eᵢ')) is returned.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double LogisticLossChange(double[] exp, double[] delta, double[] cost, double[] expNew)
    {
        var acc = Vector<double>.Zero;
        var one = Vector<double>.One;
        int i = 0, width = Vector<double>.Count;
        for (; i <= exp.Length - width; i += width)
        {
            var e = Vector.Exp(new Vector<double>(delta, i));
            var updated = new Vector<double>(exp, i) * e;
            updated.CopyTo(expNew, i);
            var c = new Vector<double>(cost, i);
            // Rows of zero cost contribute nothing, even if their ratio overflowed.
            var term = Vector.Log((one + updated) / (e + updated)) * c;
            acc += Vector.ConditionalSelect(Vector.Equals(c, Vector<double>.Zero), Vector<double>.Zero, term);
        }
        double sum = Vector.Sum(acc);
        for (; i < exp.Length; i++)
        {
            double e = Math.Exp(delta[i]);
            expNew[i] = exp[i] * e;
            if (cost[i] != 0) sum += cost[i] * Math.Log((1 + expNew[i]) / (e + expNew[i]));
        }
        return sum;
    }

    /// <summary>τᵢ = cᵢ/(1+eᵢ) and Dᵢ = cᵢ·eᵢ/(1+eᵢ)² from eᵢ = exp(w·xᵢ): the first and second loss derivatives newGLMNET needs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LogisticDerivatives(double[] exp, double[] cost, double[] tau, double[] curvature)
    {
        var one = Vector<double>.One;
        int i = 0, width = Vector<double>.Count;
        for (; i <= exp.Length - width; i += width)
        {
            var e = new Vector<double>(exp, i);
            var c = new Vector<double>(cost, i);
            var t = one / (one + e);
            (c * t).CopyTo(tau, i);
            (c * e * t * t).CopyTo(curvature, i);
        }
        for (; i < exp.Length; i++)
        {
            double t = 1 / (1 + exp[i]);
            tau[i] = cost[i] * t;
            curvature[i] = cost[i] * exp[i] * t * t;
        }
    }
}
