namespace Classify.Linear.LogisticRegression;

/// <summary>A smooth, convex objective: value and gradient at a point.</summary>
internal interface ISmoothObjective
{
    /// <summary>Number of parameters.</summary>
    int Dimension { get; }

    /// <summary>Returns f(x) and writes ∇f(x) into <paramref name="gradient"/>.</summary>
    double Evaluate(ReadOnlySpan<double> x, Span<double> gradient);
}

/// <summary>Outcome of one minimisation.</summary>
internal readonly record struct MinimizationResult(double Objective, int Iterations, bool Converged);

/// <summary>
/// Orthant-wise limited-memory quasi-Newton (Andrew &amp; Gao, 2007): minimises f(x) + Σ λⱼ|xⱼ| for a smooth convex f.
/// With every λⱼ = 0 it is exactly L-BFGS with a backtracking Armijo line search, so one code path serves
/// l2 / no penalty (λ = 0) and l1 (λ = 1 on penalised coordinates, 0 on an unpenalised intercept).
/// L1 solutions land on exact zeros because each step is projected onto the orthant it started in.
/// </summary>
internal static class OwlQn
{
    private const int Memory = 10;
    private const double ArmijoFraction = 1e-4;
    private const int MaxBacktracks = 60;
    private const int StallIterations = 5;

    /// <summary>
    /// Minimises in place, starting from <paramref name="x"/>. Converged means the largest (pseudo-)gradient entry fell to
    /// <paramref name="tol"/> times its value at x = 0, so the criterion does not depend on the data scale or on a warm start.
    /// </summary>
    public static MinimizationResult Minimize(ISmoothObjective f, double[] x, double[]? l1, double tol, int maxIter, CancellationToken cancellationToken)
    {
        int n = f.Dimension;
        var g = new double[n];
        var pg = new double[n];
        var gNew = new double[n];
        var xNew = new double[n];
        var d = new double[n];
        var s = new double[Memory][];
        var y = new double[Memory][];
        var rho = new double[Memory];
        var alpha = new double[Memory];
        for (int m = 0; m < Memory; m++) { s[m] = new double[n]; y[m] = new double[n]; }

        // Reference scale: the pseudo-gradient at the origin (the cold-start point of every fit).
        double scale = 0;
        bool atOrigin = Array.TrueForAll(x, v => v == 0);
        if (!atOrigin)
        {
            f.Evaluate(new double[n], g);
            PseudoGradient(new double[n], g, l1, pg);
            scale = MaxAbs(pg);
        }
        double fx = f.Evaluate(x, g) + L1Norm(x, l1);
        PseudoGradient(x, g, l1, pg);
        if (atOrigin) scale = MaxAbs(pg);
        double threshold = tol * Math.Max(scale, 1e-300);

        int stored = 0, head = 0, iter = 0, stalled = 0;
        if (MaxAbs(pg) <= threshold) return new MinimizationResult(fx, 0, true);

        while (iter < maxIter)
        {
            cancellationToken.ThrowIfCancellationRequested();
            iter++;

            // d = -H·pg by the two-loop recursion over the stored pairs.
            for (int j = 0; j < n; j++) d[j] = -pg[j];
            for (int k = 0; k < stored; k++)
            {
                int m = (head - 1 - k + Memory) % Memory;
                alpha[m] = rho[m] * Dot(s[m], d);
                Axpy(-alpha[m], y[m], d);
            }
            if (stored > 0)
            {
                int last = (head - 1 + Memory) % Memory;
                double gamma = Dot(s[last], y[last]) / Dot(y[last], y[last]);
                for (int j = 0; j < n; j++) d[j] *= gamma;
            }
            for (int k = stored - 1; k >= 0; k--)
            {
                int m = (head - 1 - k + Memory) % Memory;
                double beta = rho[m] * Dot(y[m], d);
                Axpy(alpha[m] - beta, s[m], d);
            }
            if (l1 != null)
                for (int j = 0; j < n; j++)
                    if (d[j] * pg[j] >= 0) d[j] = 0; // keep only coordinates that descend along -pg

            double directional = Dot(pg, d);
            if (directional >= 0)
            {
                // The quasi-Newton model went bad: restart from steepest descent.
                stored = 0;
                for (int j = 0; j < n; j++) d[j] = -pg[j];
                directional = Dot(pg, d);
            }

            double step = stored == 0 ? Math.Min(1.0, 1.0 / Math.Sqrt(-directional)) : 1.0;
            double fNew = double.NaN;
            bool accepted = false;
            for (int bt = 0; bt < MaxBacktracks; bt++)
            {
                double decrease = 0;
                for (int j = 0; j < n; j++)
                {
                    double v = x[j] + step * d[j];
                    // Orthant projection: a penalised coordinate may not cross zero within one step.
                    if (l1 != null && l1[j] > 0)
                    {
                        double orthant = x[j] != 0 ? Math.Sign(x[j]) : -Math.Sign(pg[j]);
                        if (v * orthant <= 0) v = 0;
                    }
                    xNew[j] = v;
                    decrease += pg[j] * (v - x[j]);
                }
                fNew = f.Evaluate(xNew, gNew) + L1Norm(xNew, l1);
                if (fNew <= fx + ArmijoFraction * decrease) { accepted = true; break; }
                step *= 0.5;
            }
            if (!accepted) break; // no further decrease is representable: stop, report the gradient test below

            // Curvature pair from the smooth part only.
            double sy = 0, yy = 0;
            var sm = s[head];
            var ym = y[head];
            for (int j = 0; j < n; j++)
            {
                sm[j] = xNew[j] - x[j];
                ym[j] = gNew[j] - g[j];
                sy += sm[j] * ym[j];
                yy += ym[j] * ym[j];
            }
            if (sy > 1e-16 * yy && yy > 0)
            {
                rho[head] = 1.0 / sy;
                head = (head + 1) % Memory;
                stored = Math.Min(stored + 1, Memory);
            }

            Array.Copy(xNew, x, n);
            Array.Copy(gNew, g, n);
            double previous = fx;
            fx = fNew;
            PseudoGradient(x, g, l1, pg);
            if (MaxAbs(pg) <= threshold) return new MinimizationResult(fx, iter, true);
            // At the limit of double precision the objective stops moving while the gradient test may still fail.
            stalled = previous - fx <= 1e-15 * Math.Max(1.0, Math.Abs(fx)) ? stalled + 1 : 0;
            if (stalled >= StallIterations) break;
        }
        return new MinimizationResult(fx, iter, MaxAbs(pg) <= threshold);
    }

    /// <summary>The minimum-norm subgradient of f + Σλ|x| (equal to the gradient where the objective is smooth).</summary>
    private static void PseudoGradient(double[] x, double[] g, double[]? l1, double[] pg)
    {
        if (l1 == null) { Array.Copy(g, pg, g.Length); return; }
        for (int j = 0; j < x.Length; j++)
        {
            double lambda = l1[j];
            if (lambda == 0) pg[j] = g[j];
            else if (x[j] > 0) pg[j] = g[j] + lambda;
            else if (x[j] < 0) pg[j] = g[j] - lambda;
            else if (g[j] + lambda < 0) pg[j] = g[j] + lambda;
            else if (g[j] - lambda > 0) pg[j] = g[j] - lambda;
            else pg[j] = 0;
        }
    }

    private static double L1Norm(double[] x, double[]? l1)
    {
        if (l1 == null) return 0;
        double sum = 0;
        for (int j = 0; j < x.Length; j++) sum += l1[j] * Math.Abs(x[j]);
        return sum;
    }

    private static double MaxAbs(double[] v)
    {
        double m = 0;
        foreach (var e in v) m = Math.Max(m, Math.Abs(e));
        return m;
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        int j = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var acc = System.Numerics.Vector<double>.Zero;
            int width = System.Numerics.Vector<double>.Count;
            for (; j <= a.Length - width; j += width)
                acc += new System.Numerics.Vector<double>(a, j) * new System.Numerics.Vector<double>(b, j);
            sum = System.Numerics.Vector.Sum(acc);
        }
        for (; j < a.Length; j++) sum += a[j] * b[j];
        return sum;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int j = 0; j < y.Length; j++) y[j] += a * x[j];
    }
}
