using System.Buffers;
using System.Globalization;
using Classify.Core.IO;

namespace Classify.Core.Data.Reading;

/// <summary>
/// RFC 4180 CSV (and TSV with the same quoting) as a resumable state machine: quoted fields with doubled quotes,
/// delimiters and line breaks inside quotes, CRLF/LF/CR line ends, fields of any length. Like Python's csv
/// module and pandas, a quote that does not open a field is literal text, and text after a closing quote is kept;
/// blank lines are skipped. Every record must have as many fields as the header (or the first row).
/// </summary>
internal sealed class DelimitedParser : RecordParser
{
    private enum State { FieldStart, Unquoted, Quoted, QuoteInQuoted }

    private const char Quote = '"';
    private readonly char _delimiter;
    private readonly bool _quoting;
    private readonly bool _hasHeader;
    private readonly IReadOnlyList<string>? _columnNames;
    private readonly SearchValues<char> _unquotedStops;
    private readonly SearchValues<char> _quotedStops;

    private State _state = State.FieldStart;
    private bool _inRecord;
    private bool _previousWasCr;
    private long _line = 1;
    private long _recordLine;
    private long _fieldLine;
    private char[] _field = new char[256];
    private int _fieldLength;
    private readonly List<string> _fields = new();
    private bool _headerDone;

    public DelimitedParser(TextSource source, char delimiter, bool quoting, bool hasHeader, IReadOnlyList<string>? columnNames)
        : base(source)
    {
        _delimiter = delimiter;
        _quoting = quoting;
        _hasHeader = hasHeader;
        _columnNames = columnNames;
        _unquotedStops = SearchValues.Create([delimiter, '\r', '\n', '\0']);
        _quotedStops = SearchValues.Create([Quote, '\r', '\n', '\0']);
        if (!hasHeader && columnNames != null) Columns = new RecordColumns(columnNames, positional: true);
    }

    public override bool TryParse(out DataRecord? record)
    {
        while (TryParseFields())
        {
            if (Emit(out record)) return true;
        }
        record = null;
        return false;
    }

    public override DataRecord? Complete()
    {
        if (_state == State.Quoted)
            throw new InputException(
                "unterminated quoted field: the file ends inside the quotes opened here (a stray \" in the text?)",
                Source.FileName, _fieldLine);
        if (!_inRecord) return null;
        EndField();
        return Emit(out var record) ? record : null;
    }

    /// <summary>Consumes chars until a record's fields are complete (true) or the buffer is exhausted (false).</summary>
    private bool TryParseFields()
    {
        var buffer = Source.Buffer;
        int pos = Source.Position, end = Source.Length;
        while (pos < end)
        {
            // Fast path: copy runs of ordinary characters in bulk.
            if (_state is State.Unquoted or State.Quoted)
            {
                var span = buffer.AsSpan(pos, end - pos);
                int stop = span.IndexOfAny(_state == State.Quoted ? _quotedStops : _unquotedStops);
                int run = stop < 0 ? span.Length : stop;
                if (run > 0)
                {
                    Append(span[..run]);
                    _previousWasCr = false;
                    pos += run;
                    if (pos == end) break;
                }
            }

            char c = buffer[pos++];
            if (c == '\0')
                throw new InputException("the file looks binary (it contains a NUL character), not CSV/TSV text", Source.FileName, _line);
            bool newline = c is '\r' or '\n';
            long lineOfChar = _line;
            if (c == '\n') { if (!_previousWasCr) _line++; _previousWasCr = false; }
            else if (c == '\r') { _line++; _previousWasCr = true; }
            else _previousWasCr = false;

            switch (_state)
            {
                case State.FieldStart:
                    if (!_inRecord)
                    {
                        if (newline) continue; // blank line (or the LF of a CRLF)
                        _inRecord = true;
                        _recordLine = lineOfChar;
                    }
                    if (c == Quote && _quoting) { _state = State.Quoted; _fieldLine = lineOfChar; }
                    else if (c == _delimiter) EndField();
                    else if (newline) { EndField(); Source.Position = pos; return true; }
                    else { Append(c); _state = State.Unquoted; }
                    break;
                case State.Unquoted:
                    if (c == _delimiter) { EndField(); _state = State.FieldStart; }
                    else if (newline) { EndField(); Source.Position = pos; return true; }
                    else Append(c);
                    break;
                case State.Quoted:
                    if (c == Quote) _state = State.QuoteInQuoted;
                    else Append(c);
                    break;
                case State.QuoteInQuoted:
                    if (c == Quote) { Append(Quote); _state = State.Quoted; }
                    else if (c == _delimiter) { EndField(); _state = State.FieldStart; }
                    else if (newline) { EndField(); Source.Position = pos; return true; }
                    else { Append(c); _state = State.Unquoted; }
                    break;
            }
        }
        Source.Position = pos;
        return false;
    }

    /// <summary>Turns the completed fields into a record; false when they were the header.</summary>
    private bool Emit(out DataRecord? record)
    {
        var values = _fields.ToArray();
        long line = _recordLine;
        _fields.Clear();
        _inRecord = false;
        _state = State.FieldStart;
        record = null;

        if (_hasHeader && !_headerDone)
        {
            _headerDone = true;
            Columns = new RecordColumns(values, positional: false);
            return false;
        }
        if (Columns == null)
        {
            var names = new string[values.Length];
            for (int i = 0; i < names.Length; i++) names[i] = i.ToString(CultureInfo.InvariantCulture);
            Columns = new RecordColumns(names, positional: true);
        }
        if (values.Length != Columns.Count)
        {
            string expectedFrom = _hasHeader ? "the header" : _columnNames != null ? "the column names given" : "the first row";
            throw new InputException(
                $"expected {Columns.Count} fields (as in {expectedFrom}) but found {values.Length}; " +
                $"check for an unquoted '{Printable(_delimiter)}' or a stray quote in this row",
                Source.FileName, line);
        }
        RowCount++;
        record = new DataRecord(Columns, values, line, RowCount);
        return true;
    }

    private static string Printable(char c) => c == '\t' ? "\\t" : c.ToString();

    private void EndField()
    {
        _fields.Add(_fieldLength == 0 ? string.Empty : new string(_field, 0, _fieldLength));
        _fieldLength = 0;
    }

    private void Append(char c)
    {
        if (_fieldLength == _field.Length) Grow(1);
        _field[_fieldLength++] = c;
    }

    private void Append(ReadOnlySpan<char> chars)
    {
        if (_fieldLength + chars.Length > _field.Length) Grow(chars.Length);
        chars.CopyTo(_field.AsSpan(_fieldLength));
        _fieldLength += chars.Length;
    }

    private void Grow(int extra) => Array.Resize(ref _field, Math.Max(_field.Length * 2, _fieldLength + extra));
}
