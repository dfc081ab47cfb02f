using System.CommandLine;
using Classify.Core.Prediction;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>--group-col</c>, <c>--order-col</c> and <c>--speaker-col</c> of the commands that score files (<c>predict --input</c>,
/// <c>eval</c>, <c>suggest</c>). A model trained with conversation context needs them to rebuild its inputs; by default
/// the package's (the training data's) column names are used, so they are only needed when the file names them otherwise.
/// </summary>
internal sealed class ConversationFlags
{
    private readonly Option<string?> _group = new("--group-col") { Description = "Conversation column, for a model trained with context (default: the training data's)." };
    private readonly Option<string?> _order = new("--order-col") { Description = "Turn-order column within a conversation (default: the training data's, else file order)." };
    private readonly Option<string?> _speaker = new("--speaker-col") { Description = "Speaker column, for a model trained with speaker tags (default: the training data's)." };

    /// <summary>Adds the three options to a command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_group);
        command.Options.Add(_order);
        command.Options.Add(_speaker);
    }

    /// <summary>The columns given (null where a flag was not).</summary>
    public (string? Group, string? Order, string? Speaker) Parse(ParseResult parse) => (parse.GetValue(_group), parse.GetValue(_order), parse.GetValue(_speaker));

    /// <summary>
    /// A warning for texts given as arguments to a model whose inputs depend on the conversation (they carry no context
    /// and no speaker), or null.
    /// </summary>
    public static string? BareTextWarning(ModelManifest manifest) => manifest.Context is { UsesConversation: true } c
        ? $"this model was trained with {(c.Turns > 0 ? $"{c.Turns} preceding turn(s) as context" : "")}{(c.Turns > 0 && c.CurrentSpeaker ? " and " : "")}" +
          $"{(c.CurrentSpeaker ? "the speaker of each utterance" : "")}; texts given as arguments have neither, so their scores differ from " +
          $"the training run's. Score a file with --input{(c.GroupColumn is { } g ? $" (it needs the '{g}' column)" : "")}."
        : null;
}
