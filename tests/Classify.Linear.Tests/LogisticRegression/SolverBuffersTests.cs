using Classify.Linear.LogisticRegression;
using Classify.Linear.Sparse;

namespace Classify.Linear.Tests.LogisticRegression;

public class SolverBuffersTests
{
    [Fact]
    public void Reused_vectors_come_back_zeroed_and_with_the_exact_length()
    {
        // On a fresh thread: the pools are per thread, and one that other tests filled to its cap keeps nothing more.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var first = SolverBuffers.Doubles(100_000);
                first[5] = 3.5;
                SolverBuffers.Return(first);
                var again = SolverBuffers.Doubles(100_000);
                Assert.Same(first, again);                       // same thread, same length: reused
                Assert.All(again, v => Assert.Equal(0.0, v));
                var other = SolverBuffers.Doubles(99_999);
                Assert.Equal(99_999, other.Length);
                Assert.NotSame(first, other);

                var ints = SolverBuffers.Ints(7);
                ints[0] = 9;
                SolverBuffers.Return(ints);
                Assert.Equal(new int[7], SolverBuffers.Ints(7));
            }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw failure;
    }

    [Fact]
    public void Column_form_is_built_once_per_matrix_and_intercept_setting()
    {
        var x = new CsrMatrix(2, 3, [0, 2, 3], [0, 2, 1], [1.0, 2.0, 3.0]);
        var a = SparseColumns.For(x, fitIntercept: true, interceptValue: 1.0);
        Assert.Same(a, SparseColumns.For(x, fitIntercept: true, interceptValue: 1.0));
        Assert.Equal([0, 1, 2, 3], a.Pointers);
        Assert.Equal([0, 1, 0], a.RowIndices);
        Assert.Equal([1.0, 3.0, 2.0], a.Values);
        var b = SparseColumns.For(x, fitIntercept: false, interceptValue: 1.0);
        Assert.NotSame(a, b);
        Assert.False(b.HasIntercept);
        Assert.Equal(3, b.Columns);
    }
}
