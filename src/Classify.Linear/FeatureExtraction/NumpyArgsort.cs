namespace Classify.Linear.FeatureExtraction;

/// <summary>
/// A port of NumPy 1.24's default <c>argsort</c> (<c>kind="quicksort"</c>: introsort — median-of-three quicksort,
/// insertion sort for 16 elements or fewer, heapsort past the depth limit) for float64. It is not stable, so which of several
/// tied terms survive scikit-learn's <c>max_features</c> cut depends on these exact steps; porting them keeps that choice
/// identical to scikit-learn.
/// </summary>
internal static class NumpyArgsort
{
    private const int SmallQuicksort = 15;

    /// <summary>The permutation that sorts <paramref name="v"/> ascending, as <c>np.argsort(v)</c>.</summary>
    public static int[] ArgSort(ReadOnlySpan<double> v)
    {
        var tosort = new int[v.Length];
        for (int i = 0; i < tosort.Length; i++) tosort[i] = i;
        if (v.Length > 1) Quicksort(v, tosort);
        return tosort;
    }

    private static bool Less(double a, double b) => a < b || (double.IsNaN(b) && !double.IsNaN(a)); // NaNs sort last

    private static void Quicksort(ReadOnlySpan<double> v, int[] tosort)
    {
        var stack = new int[128];
        var depthStack = new int[64];
        int sptr = 0, psdepth = 0;
        int pl = 0, pr = tosort.Length - 1;
        int cdepth = MostSignificantBit(tosort.Length) * 2;
        for (;;)
        {
            if (cdepth < 0)
            {
                HeapSort(v, tosort, pl, pr - pl + 1);
            }
            else
            {
                while (pr - pl > SmallQuicksort)
                {
                    int pm = pl + ((pr - pl) >> 1);
                    if (Less(v[tosort[pm]], v[tosort[pl]])) Swap(tosort, pm, pl);
                    if (Less(v[tosort[pr]], v[tosort[pm]])) Swap(tosort, pr, pm);
                    if (Less(v[tosort[pm]], v[tosort[pl]])) Swap(tosort, pm, pl);
                    double vp = v[tosort[pm]];
                    int pi = pl, pj = pr - 1;
                    Swap(tosort, pm, pj);
                    for (;;)
                    {
                        do ++pi; while (Less(v[tosort[pi]], vp));
                        do --pj; while (Less(vp, v[tosort[pj]]));
                        if (pi >= pj) break;
                        Swap(tosort, pi, pj);
                    }
                    int pk = pr - 1;
                    Swap(tosort, pi, pk);
                    // Push the larger partition, continue with the smaller one.
                    if (pi - pl < pr - pi)
                    {
                        stack[sptr++] = pi + 1;
                        stack[sptr++] = pr;
                        pr = pi - 1;
                    }
                    else
                    {
                        stack[sptr++] = pl;
                        stack[sptr++] = pi - 1;
                        pl = pi + 1;
                    }
                    depthStack[psdepth++] = --cdepth;
                }
                for (int pi = pl + 1; pi <= pr; ++pi)
                {
                    int vi = tosort[pi];
                    double vp = v[vi];
                    int pj = pi, pk = pi - 1;
                    while (pj > pl && Less(vp, v[tosort[pk]])) tosort[pj--] = tosort[pk--];
                    tosort[pj] = vi;
                }
            }
            if (sptr == 0) break;
            pr = stack[--sptr];
            pl = stack[--sptr];
            cdepth = depthStack[--psdepth];
        }
    }

    private static void HeapSort(ReadOnlySpan<double> v, int[] tosort, int offset, int n)
    {
        // NumPy indexes the heap from 1: a[k] is tosort[offset + k - 1].
        int A(int k) => offset + k - 1;
        int i, j, l, tmp;
        for (l = n >> 1; l > 0; --l)
        {
            tmp = tosort[A(l)];
            for (i = l, j = l << 1; j <= n;)
            {
                if (j < n && Less(v[tosort[A(j)]], v[tosort[A(j + 1)]])) j += 1;
                if (Less(v[tmp], v[tosort[A(j)]])) { tosort[A(i)] = tosort[A(j)]; i = j; j += j; }
                else break;
            }
            tosort[A(i)] = tmp;
        }
        for (; n > 1;)
        {
            tmp = tosort[A(n)];
            tosort[A(n)] = tosort[A(1)];
            n -= 1;
            for (i = 1, j = 2; j <= n;)
            {
                if (j < n && Less(v[tosort[A(j)]], v[tosort[A(j + 1)]])) j++;
                if (Less(v[tmp], v[tosort[A(j)]])) { tosort[A(i)] = tosort[A(j)]; i = j; j += j; }
                else break;
            }
            tosort[A(i)] = tmp;
        }
    }

    private static int MostSignificantBit(int n)
    {
        int depth = 0;
        while ((n >>= 1) != 0) depth++;
        return depth;
    }

    private static void Swap(int[] a, int i, int j) => (a[i], a[j]) = (a[j], a[i]);
}
