namespace Classify.Tuning.Samplers.Tpe;

/// <summary>
/// The standard normal's cdf in log space, the truncated normal's log-pdf, interval mass and inverse cdf — what Optuna 3.1
/// takes from its copy of SciPy's truncnorm (<c>optuna/samplers/_tpe/_truncnorm.py</c>). .NET has no erf, so erf and
/// erfc are fdlibm's (<c>s_erf.c</c>, the source of Optuna's <c>_erf.py</c>), with erfc kept separate so the far left
/// tail keeps its relative precision.
/// </summary>
internal static class NormalMath
{
    private static readonly double LogSqrt2Pi = 0.5 * Math.Log(2 * Math.PI);

    // fdlibm s_erf.c coefficients.
    private const double Erx = 8.45062911510467529297e-01, Efx = 1.28379167095512586316e-01;
    private const double Pp0 = 1.28379167095512558561e-01, Pp1 = -3.25042107247001499370e-01, Pp2 = -2.84817495755985104766e-02,
        Pp3 = -5.77027029648944159157e-03, Pp4 = -2.37630166566501626084e-05;
    private const double Qq1 = 3.97917223959155352819e-01, Qq2 = 6.50222499887672944485e-02, Qq3 = 5.08130628187576562776e-03,
        Qq4 = 1.32494738004321644526e-04, Qq5 = -3.96022827877536812320e-06;
    private const double Pa0 = -2.36211856075265944077e-03, Pa1 = 4.14856118683748331666e-01, Pa2 = -3.72207876035701323847e-01,
        Pa3 = 3.18346619901161753674e-01, Pa4 = -1.10894694282396677476e-01, Pa5 = 3.54783043256182359371e-02,
        Pa6 = -2.16637559486879084300e-03;
    private const double Qa1 = 1.06420880400844228286e-01, Qa2 = 5.40397917702171048937e-01, Qa3 = 7.18286544141962662868e-02,
        Qa4 = 1.26171219808761642112e-01, Qa5 = 1.36370839120290507362e-02, Qa6 = 1.19844998467991074170e-02;
    private const double Ra0 = -9.86494403484714822705e-03, Ra1 = -6.93858572707181764372e-01, Ra2 = -1.05586262253232909814e01,
        Ra3 = -6.23753324503260060396e01, Ra4 = -1.62396669462573470355e02, Ra5 = -1.84605092906711035994e02,
        Ra6 = -8.12874355063065934246e01, Ra7 = -9.81432934416914548592e00;
    private const double Sa1 = 1.96512716674392571292e01, Sa2 = 1.37657754143519042600e02, Sa3 = 4.34565877475229228821e02,
        Sa4 = 6.45387271733267880336e02, Sa5 = 4.29008140027567833386e02, Sa6 = 1.08635005541779435134e02,
        Sa7 = 6.57024977031928170135e00, Sa8 = -6.04244152148580987438e-02;
    private const double Rb0 = -9.86494292470009928597e-03, Rb1 = -7.99283237680523006574e-01, Rb2 = -1.77579549177547519889e01,
        Rb3 = -1.60636384855821916062e02, Rb4 = -6.37566443368389627722e02, Rb5 = -1.02509513161107724954e03,
        Rb6 = -4.83519191608651397019e02;
    private const double Sb1 = 3.03380607434824582924e01, Sb2 = 3.25792512996573918826e02, Sb3 = 1.53672958608443695994e03,
        Sb4 = 3.19985821950859553908e03, Sb5 = 2.55305040643316442583e03, Sb6 = 4.74528541206955367215e02,
        Sb7 = -2.24409524465858183362e01;

    /// <summary>erf(x) (fdlibm).</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double a = Math.Abs(x);
        if (a < 0.84375)
        {
            if (a < 3.725290298461914e-09) return x + Efx * x; // |x| < 2^-28
            double z = x * x;
            return x + x * (SmallR(z) / SmallS(z));
        }
        if (a < 1.25)
        {
            double s = a - 1;
            double v = Erx + MidP(s) / MidQ(s);
            return x >= 0 ? v : -v;
        }
        if (a >= 6) return x >= 0 ? 1 : -1;
        double tail = TailTimesX(a) / a;
        return x >= 0 ? 1 - tail : tail - 1;
    }

    /// <summary>erfc(x) = 1 − erf(x), accurate in both tails (fdlibm).</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double a = Math.Abs(x);
        if (a < 0.84375)
        {
            if (a < 1.3877787807814457e-17) return 1 - x; // |x| < 2^-56
            double z = x * x;
            double y = SmallR(z) / SmallS(z);
            if (x < 0.25) return 1 - (x + x * y);
            return 0.5 - (x * y + (x - 0.5));
        }
        if (a < 1.25)
        {
            double s = a - 1;
            double pq = MidP(s) / MidQ(s);
            return x >= 0 ? 1 - Erx - pq : 1 + Erx + pq;
        }
        if (a < 28)
        {
            if (x < -6) return 2;
            double r = TailTimesX(a) / a;
            return x > 0 ? r : 2 - r;
        }
        return x > 0 ? 0 : 2;
    }

    private static double SmallR(double z) => Pp0 + z * (Pp1 + z * (Pp2 + z * (Pp3 + z * Pp4)));
    private static double SmallS(double z) => 1 + z * (Qq1 + z * (Qq2 + z * (Qq3 + z * (Qq4 + z * Qq5))));
    private static double MidP(double s) => Pa0 + s * (Pa1 + s * (Pa2 + s * (Pa3 + s * (Pa4 + s * (Pa5 + s * Pa6)))));
    private static double MidQ(double s) => 1 + s * (Qa1 + s * (Qa2 + s * (Qa3 + s * (Qa4 + s * (Qa5 + s * Qa6)))));

    // x · erfc(x) for 1.25 ≤ x < 28, with fdlibm's split of x² into an exact high part (low word cleared) and a rest.
    private static double TailTimesX(double x)
    {
        double s = 1 / (x * x);
        double r, ss;
        if (x < 1 / 0.35)
        {
            r = Ra0 + s * (Ra1 + s * (Ra2 + s * (Ra3 + s * (Ra4 + s * (Ra5 + s * (Ra6 + s * Ra7))))));
            ss = 1 + s * (Sa1 + s * (Sa2 + s * (Sa3 + s * (Sa4 + s * (Sa5 + s * (Sa6 + s * (Sa7 + s * Sa8)))))));
        }
        else
        {
            r = Rb0 + s * (Rb1 + s * (Rb2 + s * (Rb3 + s * (Rb4 + s * (Rb5 + s * Rb6)))));
            ss = 1 + s * (Sb1 + s * (Sb2 + s * (Sb3 + s * (Sb4 + s * (Sb5 + s * (Sb6 + s * Sb7))))));
        }
        double z = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) & unchecked((long)0xFFFFFFFF00000000UL));
        return Math.Exp(-z * z - 0.5625) * Math.Exp((z - x) * (z + x) + r / ss);
    }

    /// <summary>Φ(a), the standard normal cdf (Optuna's <c>_ndtr_single</c>).</summary>
    public static double Ndtr(double a)
    {
        double x = a / Math.Sqrt(2);
        if (x < -1 / Math.Sqrt(2)) return 0.5 * Erfc(-x);
        if (x < 1 / Math.Sqrt(2)) return 0.5 + 0.5 * Erf(x);
        return 1 - 0.5 * Erfc(x);
    }

    /// <summary>log Φ(a), with SciPy's asymptotic series below −20 (Optuna's <c>_log_ndtr_single</c>).</summary>
    public static double LogNdtr(double a)
    {
        if (a > 6) return -Ndtr(-a); // log(1 − ε) ≈ −ε
        if (a > -20) return Math.Log(Ndtr(a));
        double logLhs = -0.5 * a * a - Math.Log(-a) - LogSqrt2Pi;
        double lastTotal = 0, rightHandSide = 1, numerator = 1, denomFactor = 1, denomCons = 1 / (a * a);
        int sign = 1;
        for (int i = 1; Math.Abs(lastTotal - rightHandSide) > double.Epsilon && i < 100; i++)
        {
            lastTotal = rightHandSide;
            sign = -sign;
            denomFactor *= denomCons;
            numerator *= 2 * i - 1;
            rightHandSide += sign * numerator * denomFactor;
        }
        return logLhs + Math.Log(rightHandSide);
    }

    /// <summary>log of the standard normal density.</summary>
    public static double NormLogPdf(double x) => -x * x / 2 - LogSqrt2Pi;

    /// <summary>log(Φ(b) − Φ(a)), the standard normal mass of [a, b], computed in the tail where it is accurate
    /// (Optuna's <c>_log_gauss_mass</c>).</summary>
    public static double LogGaussMass(double a, double b)
    {
        if (b <= 0) return LogDiff(LogNdtr(b), LogNdtr(a));
        if (a > 0) return LogDiff(LogNdtr(-a), LogNdtr(-b));
        // Central: one minus both tails, as Optuna does, rather than a difference of two cdfs near 1.
        return Math.Log(1 - Ndtr(a) - Ndtr(-b));
    }

    private static double LogDiff(double logP, double logQ) => logP + Math.Log(1 - Math.Exp(logQ - logP));

    /// <summary>log(e^p + e^q).</summary>
    public static double LogAddExp(double p, double q)
    {
        if (double.IsNegativeInfinity(p)) return q;
        if (double.IsNegativeInfinity(q)) return p;
        double max = Math.Max(p, q);
        return max + Math.Log(1 + Math.Exp(-Math.Abs(p - q)));
    }

    /// <summary>
    /// The x with log Φ(x) = <paramref name="logP"/> (SciPy's <c>ndtri_exp</c>). Optuna 3.1 bisects 100 times between
    /// −100 and 100; Newton's method on log Φ from a tail-aware start reaches the same root to rounding in a few steps.
    /// </summary>
    public static double NdtriExp(double logP)
    {
        if (double.IsNegativeInfinity(logP)) return double.NegativeInfinity;
        if (logP >= 0) return double.PositiveInfinity;
        double x;
        if (logP > -700) x = Ndtri(Math.Exp(logP));
        else
        {
            // log Φ(x) ≈ −x²/2 − log(−x) − log√(2π) for x ≪ 0.
            x = -Math.Sqrt(-2 * logP);
            for (int i = 0; i < 3; i++) x = -Math.Sqrt(-2 * (logP + Math.Log(-x) + LogSqrt2Pi));
        }
        for (int i = 0; i < 4; i++)
        {
            double logPhi = LogNdtr(x);
            double f = logPhi - logP;
            if (f == 0 || double.IsInfinity(x)) break;
            // d/dx log Φ(x) = φ(x)/Φ(x) = exp(log φ(x) − log Φ(x)).
            double slope = Math.Exp(NormLogPdf(x) - logPhi);
            if (!(slope > 0) || double.IsInfinity(slope)) break;
            double step = f / slope;
            x -= step;
            if (Math.Abs(step) <= 1e-15 * (1 + Math.Abs(x))) break; // converged to rounding
        }
        return x;
    }

    /// <summary>Φ⁻¹(p) by Wichura's AS241 (PPND16, ~1e-16 relative accuracy).</summary>
    public static double Ndtri(double p)
    {
        if (p <= 0) return double.NegativeInfinity;
        if (p >= 1) return double.PositiveInfinity;
        double q = p - 0.5;
        if (Math.Abs(q) <= 0.425)
        {
            double r = 0.180625 - q * q;
            return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
                            + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                            + 133.14166789178437745) * r + 3.387132872796366608)
                   / (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
                            + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                            + 42.313330701600911252) * r + 1);
        }
        double rr = q < 0 ? p : 1 - p;
        rr = Math.Sqrt(-Math.Log(rr));
        double val;
        if (rr <= 5)
        {
            rr -= 1.6;
            val = (((((((rr * 7.7454501427834140764e-4 + 0.0227238449892691845833) * rr + 0.24178072517745061177) * rr
                        + 1.27045825245236838258) * rr + 3.64784832476320460504) * rr + 5.7694972214606914055) * rr
                        + 4.6303378461565452959) * rr + 1.42343711074968357734)
                  / (((((((rr * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * rr + 0.0151986665636164571966) * rr
                        + 0.14810397642748007459) * rr + 0.68976733498510000455) * rr + 1.6763848301838038494) * rr
                        + 2.05319162663775882187) * rr + 1);
        }
        else
        {
            rr -= 5;
            val = (((((((rr * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * rr + 0.0012426609473880784386) * rr
                        + 0.026532189526576123093) * rr + 0.29656057182850489123) * rr + 1.7848265399172913358) * rr
                        + 5.4637849111641143699) * rr + 6.6579046435011037772)
                  / (((((((rr * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * rr + 1.8463183175100546818e-5) * rr
                        + 7.868691311456132591e-4) * rr + 0.0148753612908506148525) * rr + 0.13692988092273580531) * rr
                        + 0.59983220655588793769) * rr + 1);
        }
        return q < 0 ? -val : val;
    }

    /// <summary>
    /// The <paramref name="quantile"/>-quantile of the standard normal truncated to [a, b] (Optuna's <c>truncnorm.ppf</c>,
    /// which works in the left tail for a &lt; 0 and mirrors otherwise, so neither side loses precision).
    /// </summary>
    public static double TruncatedPpf(double quantile, double a, double b)
    {
        if (a == b) return double.NaN;
        if (quantile == 0) return a;
        if (quantile == 1) return b;
        double mass = LogGaussMass(a, b);
        if (a < 0) return NdtriExp(LogAddExp(LogNdtr(a), Math.Log(quantile) + mass));
        return -NdtriExp(LogAddExp(LogNdtr(-b), Math.Log(-quantile + 1) + mass));
    }
}
