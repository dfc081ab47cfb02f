namespace Classify.Core.Runs;

/// <summary>The type of a ledger column, kept so exports can write typed cells (numbers as numbers, dates as dates).</summary>
public enum LedgerColumnType
{
    /// <summary>Text.</summary>
    Text,
    /// <summary>64-bit integer.</summary>
    Integer,
    /// <summary>Double-precision number.</summary>
    Real,
    /// <summary>UTC timestamp (stored as ISO-8601 text, exported as a date-time cell).</summary>
    DateTime,
}

/// <summary>A column of a ledger table.</summary>
/// <param name="Name">Column name.</param>
/// <param name="Type">Column type.</param>
public sealed record LedgerColumn(string Name, LedgerColumnType Type);

/// <summary>
/// A whole ledger table read into memory, for export. Cell values are <see cref="string"/>, <see cref="long"/>,
/// <see cref="double"/>, <see cref="System.DateTime"/> (UTC) or null, matching the column type.
/// </summary>
/// <param name="Name">Table name (runs, trials, per_class_metrics).</param>
/// <param name="Columns">Columns in order.</param>
/// <param name="Rows">Rows; each array has one cell per column.</param>
public sealed record LedgerTable(string Name, IReadOnlyList<LedgerColumn> Columns, IReadOnlyList<object?[]> Rows);
