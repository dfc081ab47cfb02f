using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.IO;
using Classify.Core.Labels;

namespace Classify.Transformers.Training;

/// <summary>
/// The <c>transformer:</c> section of a config, parsed and validated once (<see cref="Parse"/>), before anything is
/// written: the trainer's typed options. Whether the run has a validation split is not known yet when the section is
/// parsed, and it sets the evaluation defaults (<c>eval_strategy: epoch</c> with one, <c>no</c> without), so the
/// section is read for both cases; <see cref="For"/> picks the arguments of the actual run.
/// </summary>
public sealed class TransformerOptions
{
    private readonly ConfigReader _section;
    private readonly TrainingArguments? _withValidation;
    private readonly TrainingArguments? _withoutValidation;
    private readonly InputException? _withValidationError;
    private readonly InputException? _withoutValidationError;

    private TransformerOptions(ConfigReader section, TrainingArguments? withValidation, InputException? withValidationError,
        TrainingArguments? withoutValidation, InputException? withoutValidationError)
    {
        _section = section;
        _withValidation = withValidation;
        _withValidationError = withValidationError;
        _withoutValidation = withoutValidation;
        _withoutValidationError = withoutValidationError;
    }

    /// <summary>The <c>model</c> to start from (folder, hub id or <c>scratch:…</c>).</summary>
    public string Model => (_withValidation ?? _withoutValidation)!.Model;

    /// <summary>
    /// Reads and validates <paramref name="section"/> against the task (class and positive weights). Unknown keys and
    /// bad values throw <see cref="InputException"/>s from <see cref="ConfigReader.Error"/>, naming the file, line and
    /// key. A setting that is wrong only with a validation split (or only without one) is reported by <see cref="For"/>.
    /// </summary>
    public static TransformerOptions Parse(ConfigReader section, LabelSchema schema)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(schema);
        var (withValidation, withError) = TryRead(section, hasValidation: true);
        var (withoutValidation, withoutError) = TryRead(section, hasValidation: false);
        // Wrong whatever the split: report it now.
        if (withValidation is null && withoutValidation is null) throw withError!;

        var args = (withValidation ?? withoutValidation)!;
        args.ClassWeight?.Validate(schema, section, "class_weight");
        args.PosWeight?.Validate(schema, section, "pos_weight");
        if (args.ClassWeight is not null && schema.IsMultilabel)
            throw section.Error("class_weight", "applies to single-label tasks; use pos_weight for multi-label");
        if (args.PosWeight is not null && !schema.IsMultilabel)
            throw section.Error("pos_weight", "applies to multi-label tasks; use class_weight for single-label");
        return new TransformerOptions(section, withValidation, withError, withoutValidation, withoutError);
    }

    /// <summary>Parses an in-memory section (tests, the library API); messages name the key path <c>transformer.…</c>.</summary>
    public static TransformerOptions FromJson(JsonObject section, LabelSchema schema) =>
        Parse(new ConfigReader(section, "transformer"), schema);

    /// <summary>The arguments of a run with or without a validation split.</summary>
    /// <exception cref="InputException">A setting that does not fit that case (for example an <c>eval_strategy</c> without a validation split).</exception>
    public TrainingArguments For(bool hasValidation) => hasValidation
        ? _withValidation ?? throw _withValidationError!
        : _withoutValidation ?? throw _withoutValidationError!;

    /// <summary>An error about a key of the section, found once the model is known (naming the file, line and key).</summary>
    internal InputException Error(string key, string reason) => _section.Error(key, reason);

    private static (TrainingArguments? Args, InputException? Error) TryRead(ConfigReader section, bool hasValidation)
    {
        try
        {
            return (TrainingArguments.Read(section, hasValidation), null);
        }
        catch (InputException e)
        {
            return (null, e);
        }
    }
}
