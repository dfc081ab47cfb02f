using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Core.Configuration;

namespace Classify.Cli.Commands;

/// <summary>The config keys a verb also takes as flags (<c>--data</c> for <c>data.path</c>, …), as one config tree.</summary>
internal static class ConfigFlags
{
    /// <summary>
    /// The flags given on the command line as a tree of their config keys. The keys in <paramref name="integerKeys"/> are
    /// numbers (kept as text when they are not one, so the config reader names the field); every other flag is text.
    /// </summary>
    public static JsonObject Tree(ParseResult parse, IReadOnlyDictionary<string, Option<string?>> flags, params string[] integerKeys)
    {
        var tree = new JsonObject();
        foreach (var (key, option) in flags)
            if (parse.GetValue(option) is { } value)
                ConfigDocument.Set(tree, key,
                    integerKeys.Contains(key) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                        ? JsonValue.Create(n)
                        : JsonValue.Create(value));
        return tree;
    }
}
