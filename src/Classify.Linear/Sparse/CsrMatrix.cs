namespace Classify.Linear.Sparse;

/// <summary>
/// A sparse matrix in compressed sparse row form (as scipy's csr_matrix): row <c>i</c> holds the entries
/// <c>RowPointers[i] .. RowPointers[i+1]-1</c> of <see cref="ColumnIndices"/> and <see cref="Values"/>,
/// with column indices sorted ascending within each row. Treat it as immutable once built: solvers cache derived
/// forms of a matrix (see <c>SparseColumns.For</c>).
/// </summary>
public sealed class CsrMatrix
{
    /// <summary>Creates a matrix over existing arrays (not copied).</summary>
    public CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, double[] values)
    {
        if (rowPointers.Length != rows + 1) throw new ArgumentException("rowPointers must have rows+1 entries.", nameof(rowPointers));
        if (columnIndices.Length != values.Length) throw new ArgumentException("columnIndices and values differ in length.");
        Rows = rows;
        Columns = columns;
        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
    }

    /// <summary>Number of rows (documents).</summary>
    public int Rows { get; }
    /// <summary>Number of columns (features).</summary>
    public int Columns { get; }
    /// <summary>Row start offsets, length Rows+1.</summary>
    public int[] RowPointers { get; }
    /// <summary>Column index of each stored entry.</summary>
    public int[] ColumnIndices { get; }
    /// <summary>Value of each stored entry.</summary>
    public double[] Values { get; }
    /// <summary>Number of stored entries.</summary>
    public int NonZeros => Values.Length;

    /// <summary>The column indices of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<int> RowIndices(int row) => ColumnIndices.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);
    /// <summary>The values of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<double> RowValues(int row) => Values.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    /// <summary>A new matrix holding the given rows in the given order.</summary>
    public CsrMatrix SelectRows(IReadOnlyList<int> rows)
    {
        var ptr = new int[rows.Count + 1];
        for (int i = 0; i < rows.Count; i++) ptr[i + 1] = ptr[i] + RowPointers[rows[i] + 1] - RowPointers[rows[i]];
        var idx = new int[ptr[^1]];
        var val = new double[ptr[^1]];
        for (int i = 0; i < rows.Count; i++)
        {
            int s = RowPointers[rows[i]], n = RowPointers[rows[i] + 1] - s;
            Array.Copy(ColumnIndices, s, idx, ptr[i], n);
            Array.Copy(Values, s, val, ptr[i], n);
        }
        return new CsrMatrix(rows.Count, Columns, ptr, idx, val);
    }

    /// <summary>Dense copy (for tests and small matrices).</summary>
    public double[,] ToDense()
    {
        var d = new double[Rows, Columns];
        for (int r = 0; r < Rows; r++)
            for (int p = RowPointers[r]; p < RowPointers[r + 1]; p++) d[r, ColumnIndices[p]] = Values[p];
        return d;
    }
}
