using System.Text.Json;
using Classify.Core.IO;

namespace Classify.Core.Data.Reading;

/// <summary>
/// JSON Lines: one JSON object per line; blank lines are skipped. Values become strings as described on
/// <see cref="DataRecord"/>. Consecutive objects with the same keys share one <see cref="RecordColumns"/>.
/// </summary>
internal sealed class JsonLinesParser(TextSource source) : RecordParser(source)
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = false, MaxDepth = 64 };

    private char[] _lineBuffer = new char[1024];
    private int _lineLength;
    private long _line = 1;
    private readonly List<string> _names = new();
    private readonly List<string?> _values = new();

    public override bool TryParse(out DataRecord? record)
    {
        var buffer = Source.Buffer;
        int pos = Source.Position, end = Source.Length;
        while (pos < end)
        {
            var span = buffer.AsSpan(pos, end - pos);
            int nl = span.IndexOfAny('\n', '\0');
            int run = nl < 0 ? span.Length : nl;
            Append(span[..run]);
            pos += run;
            if (nl < 0) break;
            if (buffer[pos] == '\0')
                throw new InputException("the file looks binary (it contains a NUL character), not JSON Lines text", Source.FileName, _line);
            pos++; // the '\n'
            long line = _line++;
            if (TryParseLine(line, out record))
            {
                Source.Position = pos;
                return true;
            }
        }
        Source.Position = pos;
        record = null;
        return false;
    }

    public override DataRecord? Complete() => TryParseLine(_line, out var record) ? record : null;

    private bool TryParseLine(long line, out DataRecord? record)
    {
        record = null;
        var text = _lineBuffer.AsMemory(0, _lineLength);
        _lineLength = 0;
        if (text.Span.IsWhiteSpace()) return false;
        try
        {
            using var doc = JsonDocument.Parse(text, DocumentOptions);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InputException($"expected a JSON object on each line, found {Describe(doc.RootElement.ValueKind)}", Source.FileName, line);
            _names.Clear();
            _values.Clear();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                _names.Add(property.Name);
                _values.Add(property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Null or JsonValueKind.Undefined => null,
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => property.Value.GetRawText(),
                });
            }
        }
        catch (JsonException e)
        {
            throw new InputException($"invalid JSON: {e.Message}", Source.FileName, line, inner: e);
        }
        if (Columns == null || !Columns.SameNames(_names)) Columns = new RecordColumns(_names.ToArray());
        RowCount++;
        record = new DataRecord(Columns, _values.ToArray(), line, RowCount);
        return true;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private void Append(ReadOnlySpan<char> chars)
    {
        if (_lineLength + chars.Length > _lineBuffer.Length)
            Array.Resize(ref _lineBuffer, Math.Max(_lineBuffer.Length * 2, _lineLength + chars.Length));
        chars.CopyTo(_lineBuffer.AsSpan(_lineLength));
        _lineLength += chars.Length;
    }
}
