using System.Text;
using System.Text.RegularExpressions;
using Classify.Core.IO;

namespace Classify.Linear.FeatureExtraction;

/// <summary>
/// Compiles a Python <c>re</c> token pattern for .NET. Python 3 str patterns are Unicode-aware and define
/// <c>\w</c> as letters, numbers and '_' (no combining marks, unlike .NET) and <c>\s</c> with U+001C–U+001F;
/// <c>\b</c> follows <c>\w</c>. The leading <c>(?u)</c> flag, meaningless in Python 3 and unknown to .NET, is dropped.
/// </summary>
internal static class PythonRegex
{
    private const string Word = @"\p{L}\p{N}_";
    private const string Space = @"\s\x1C-\x1F";

    /// <summary>The .NET equivalent of <paramref name="pattern"/>.</summary>
    public static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(Translate(pattern), RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new InputException($"token_pattern '{pattern}' is not a valid regular expression: {e.Message}", field: "token_pattern", inner: e);
        }
    }

    /// <summary>Rewrites the Python-specific escapes; everything else is shared syntax.</summary>
    public static string Translate(string pattern)
    {
        var p = pattern;
        // Inline flags at the start: drop 'u' (and 'a'/'L' have no .NET meaning either, keep them to fail loudly).
        if (p.StartsWith("(?", StringComparison.Ordinal))
        {
            int close = p.IndexOf(')');
            var flags = close > 2 ? p[2..close] : "";
            if (flags.Length > 0 && flags.All(char.IsAsciiLetterLower))
            {
                var kept = flags.Replace("u", "");
                p = (kept.Length > 0 ? $"(?{kept})" : "") + p[(close + 1)..];
            }
        }
        var sb = new StringBuilder(p.Length * 2);
        bool inClass = false;
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                char e = p[++i];
                sb.Append((e, inClass) switch
                {
                    ('w', false) => $"[{Word}]",
                    ('W', false) => $"[^{Word}]",
                    ('s', false) => $"[{Space}]",
                    ('S', false) => $"[^{Space}]",
                    ('b', false) => $"(?:(?<=[{Word}])(?![{Word}])|(?<![{Word}])(?=[{Word}]))",
                    ('B', false) => $"(?:(?<=[{Word}])(?=[{Word}])|(?<![{Word}])(?![{Word}]))",
                    ('w', true) => Word,
                    ('s', true) => Space,
                    _ => "\\" + e,
                });
                continue;
            }
            if (c == '[' && !inClass)
            {
                inClass = true;
                sb.Append(c);
                // A ']' right after '[' or '[^' is a literal in both dialects.
                if (i + 1 < p.Length && p[i + 1] == '^') sb.Append(p[++i]);
                if (i + 1 < p.Length && p[i + 1] == ']') sb.Append(p[++i]);
                continue;
            }
            if (c == ']' && inClass) inClass = false;
            sb.Append(c);
        }
        return sb.ToString();
    }
}
