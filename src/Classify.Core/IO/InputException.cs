namespace Classify.Core.IO;

/// <summary>
/// Bad user input (a data file, config file or argument). The message names the file, line and field
/// so that the user can fix it; the CLI prints it and exits non-zero without writing anything.
/// </summary>
public sealed class InputException : Exception
{
    /// <summary>Creates an input error. <paramref name="line"/> is 1-based (physical line in the file).</summary>
    public InputException(string reason, string? file = null, long? line = null, string? field = null, Exception? inner = null)
        : base(Format(reason, file, line, field), inner)
    {
        Reason = reason;
        File = file;
        Line = line;
        Field = field;
    }

    /// <summary>What is wrong, without the location.</summary>
    public string Reason { get; }
    /// <summary>The offending file, if any.</summary>
    public string? File { get; }
    /// <summary>1-based line number in <see cref="File"/>, if known.</summary>
    public long? Line { get; }
    /// <summary>The column, key or option at fault, if any.</summary>
    public string? Field { get; }

    private static string Format(string reason, string? file, long? line, string? field)
    {
        var where = new List<string>();
        if (file != null) where.Add(line is { } l ? $"{file}:{l}" : file);
        else if (line is { } l2) where.Add($"line {l2}");
        if (field != null) where.Add($"field '{field}'");
        return where.Count == 0 ? reason : $"{string.Join(", ", where)}: {reason}";
    }
}
