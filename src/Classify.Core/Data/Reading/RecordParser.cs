namespace Classify.Core.Data.Reading;

/// <summary>
/// Turns the chars of a <see cref="TextSource"/> into records. Parsers keep their state between calls, so a record
/// may straddle any number of blocks; that lets the same parser serve synchronous and asynchronous reading.
/// </summary>
internal abstract class RecordParser(TextSource source)
{
    /// <summary>The source being parsed.</summary>
    protected TextSource Source { get; } = source;

    /// <summary>The columns known so far (the header once read), or null.</summary>
    public RecordColumns? Columns { get; protected set; }

    /// <summary>Data records produced so far.</summary>
    public long RowCount { get; protected set; }

    /// <summary>Consumes buffered chars; true with a record as soon as one is complete, false when the buffer ran out.</summary>
    public abstract bool TryParse(out DataRecord? record);

    /// <summary>Called once the source is exhausted: the final record if the file did not end with a newline, else null.</summary>
    public abstract DataRecord? Complete();
}
