using System.CommandLine;
using System.Runtime.InteropServices;
using Classify.Cli.Commands;
using Classify.Cli.Terminal;
using Classify.Core.IO;

namespace Classify.Cli;

/// <summary>
/// The <c>classify</c> command line: a thin shell over the library. Each verb lives in Commands/ and only parses
/// options, calls the library and prints; errors in user input become one readable line and exit code 2.
/// </summary>
public static class ClassifyApp
{
    /// <summary>Exit code for bad input (data, config, arguments).</summary>
    public const int InputErrorExitCode = 2;
    /// <summary>Exit code when the user cancelled (Ctrl+C), as shells use for SIGINT.</summary>
    public const int CancelledExitCode = 130;
    /// <summary>Exit code when SIGTERM stopped the command (128 + 15, as shells report it).</summary>
    public const int TerminatedExitCode = 143;

    /// <summary>Runs the CLI with the process console and returns the exit code.</summary>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the CLI with the given writers (tests capture output this way).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // serve loads linear and ONNX packages itself and never touches the transformer engine (nor TorchSharp).
        if (args.FirstOrDefault(a => !a.StartsWith('-')) != "serve") Engines.RegisterAll();
        var ui = new ConsoleUi(output, error);
        using var cancellation = new CancellationTokenSource();
        var context = new CommandContext(ui, cancellation.Token);
        var (root, verbose) = CreateRoot(context);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Bad arguments are bad input like any other: one line each, exit 2, nothing run (not the whole help page).
            foreach (var problem in parse.Errors) ui.Error(problem.Message);
            ui.Info($"see: {CommandPath(parse.CommandResult)} --help");
            return InputErrorExitCode;
        }
        int signalExitCode = CancelledExitCode;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl+C asks the running step to stop cleanly (checkpoint, atomic writes); a second one kills.
            if (cancellation.IsCancellationRequested) return;
            e.Cancel = true;
            ui.Warn("cancelling… (press Ctrl+C again to abort immediately)");
            cancellation.Cancel();
        };
        // SIGTERM (kill, docker stop, a CI timeout) stops like Ctrl+C: the run records "cancelled", the exit code is 143.
        // A second SIGTERM terminates at once (the next command then finds the run interrupted).
        using var onTerm = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            if (cancellation.IsCancellationRequested) return;
            context.Cancel = true;
            signalExitCode = TerminatedExitCode;
            ui.Warn("SIGTERM: cancelling… (a second SIGTERM aborts immediately)");
            cancellation.Cancel();
        });
        Console.CancelKeyPress += onCancel;
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e) when (Unwrap(e) is InputException input)
        {
            ui.Error(input.Message);
            return InputErrorExitCode;
        }
        catch (Exception e) when (Unwrap(e) is OperationCanceledException)
        {
            ui.Warn("cancelled");
            return signalExitCode;
        }
        catch (Exception e)
        {
            var inner = Unwrap(e);
            ui.Error($"{inner.GetType().Name}: {inner.Message}");
            if (parse.GetValue(verbose)) error.WriteLine(inner);
            else ui.Info("run with --verbose for the stack trace");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>The command tree (every verb) and the recursive <c>--verbose</c> option; parsing it runs nothing.</summary>
    internal static (RootCommand Root, Option<bool> Verbose) CreateRoot(CommandContext context)
    {
        var root = new RootCommand("Classify: train, evaluate and deploy text classifiers.");
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces for unexpected errors.", Recursive = true };
        root.Options.Add(verbose);
        foreach (var command in new ICommandFactory[]
                 {
                     new TrainCommand(), new PretrainCommand(), new TuneCommand(), new EvalCommand(), new PredictCommand(), new SuggestCommand(), new RunsCommand(), new ReportCommand(), new CompareCommand(), new ExportCommand(), new ServeCommand(),
                 })
            root.Subcommands.Add(command.Create(context));
        return (root, verbose);
    }

    private static string CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new List<string>();
        for (var r = result; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Parent is null ? "classify" : r.Command.Name);
        return string.Join(' ', names);
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is not null)
            e = e.InnerException!;
        return e;
    }
}

/// <summary>Builds one verb of the CLI.</summary>
internal interface ICommandFactory
{
    Command Create(CommandContext context);
}

/// <summary>What every verb gets: the console and the token that Ctrl+C (and SIGTERM) cancels.</summary>
internal sealed record CommandContext(ConsoleUi Ui, CancellationToken Cancellation)
{
    /// <summary>Marks runs under <paramref name="runsDirectory"/> whose process is gone as interrupted (one warning each).</summary>
    public void RecoverRuns(string runsDirectory) => Core.Runs.RunRecovery.RecoverAll(runsDirectory, log: Ui.Warn);

    /// <summary>Recovers one run folder (and ledger rows of its runs folder) before it is read.</summary>
    public void RecoverRun(string runDirectory) => Core.Runs.RunRecovery.Recover(new Core.Runs.RunLayout(runDirectory), log: Ui.Warn);
}
