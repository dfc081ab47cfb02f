using Classify.Core.IO;

namespace Classify.Core.Runs;

/// <summary>What a new run does when its folder already holds a run.</summary>
public enum ExistingRunPolicy
{
    /// <summary>Refuse (an input error naming <c>--overwrite</c>); nothing is written. The default.</summary>
    Refuse,
    /// <summary>Delete the old run's files, except its saved split (splits/), and write the new run (<c>--overwrite</c>).</summary>
    Overwrite,
    /// <summary>Keep the folder as it is and write into it (a transformer run resuming from its checkpoints).</summary>
    Continue,
}

/// <summary>
/// The rules for a run folder that already exists (docs/user-guide.md, "Run folders"):
/// <list type="bullet">
/// <item>no folder, or a folder holding only a saved split (splits/) → the run goes ahead (reusing that split);</item>
/// <item>a folder with a run.json (any status) → refused unless <see cref="ExistingRunPolicy.Overwrite"/> (old files
/// deleted, splits/ kept, the old ledger row marked <see cref="RunStatus.Overwritten"/>) or
/// <see cref="ExistingRunPolicy.Continue"/> (files kept, the old ledger row marked <see cref="RunStatus.Overwritten"/> too:
/// the folder now holds the continuing run);</item>
/// <item>a folder another live process is writing (run.lock) → refused whatever the policy;</item>
/// <item>a folder with other content and no run.json → refused whatever the policy: Classify never deletes what it did not write.</item>
/// </list>
/// </summary>
public static class ExistingRuns
{
    /// <summary>The command-line flag named in the refusal.</summary>
    public const string OverwriteFlag = "--overwrite";

    /// <summary>
    /// Checks, writing nothing, that a run may be written into <paramref name="layout"/> under <paramref name="policy"/>.
    /// </summary>
    /// <exception cref="InputException">The folder is being written, holds a run (with <see cref="ExistingRunPolicy.Refuse"/>) or is not a run folder.</exception>
    public static void Check(RunLayout layout, ExistingRunPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!Directory.Exists(layout.Root))
        {
            if (File.Exists(layout.Root)) throw new InputException("a file of that name is in the runs folder; choose another run name", layout.Root);
            return;
        }
        var state = RunLock.Inspect(layout, out var holder);
        if (state == RunLockState.Live) throw RunLock.Busy(layout, holder);
        CheckContent(layout, policy, state == RunLockState.None ? null : holder);
    }

    /// <summary>
    /// Under the folder's lock (<paramref name="runLock"/>): settles a run its dead writer left <c>running</c> (marked
    /// interrupted), applies <paramref name="policy"/> (refuse, or delete everything but splits/ and mark the old ledger
    /// row overwritten, or keep everything and mark the old ledger row overwritten), and removes stale temporaries.
    /// </summary>
    /// <exception cref="InputException">As <see cref="Check"/>.</exception>
    public static void Claim(RunLock runLock, ExistingRunPolicy policy, ILedger? ledger, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(runLock);
        var layout = runLock.Layout;
        if (RunRecovery.Settle(layout, runLock.Broken, () => ledger) is { MarkedInterrupted: true } settled) log?.Invoke(settled.Describe());
        CheckContent(layout, policy, null);
        var old = RunRecovery.TryLoad(layout);
        if (policy == ExistingRunPolicy.Overwrite && File.Exists(layout.RunJson))
        {
            if (old is not null) ledger?.SetStatus(old.RunId, RunStatus.Overwritten);
            // run.json goes last: a process killed halfway leaves a folder that is still recognisably a run.
            foreach (var entry in Directory.GetFileSystemEntries(layout.Root).OrderBy(e => e == layout.RunJson ? 1 : 0))
            {
                var name = Path.GetFileName(entry);
                if (name == "splits" || entry == layout.LockFile) continue;
                var info = new FileInfo(entry);
                if ((info.Attributes & FileAttributes.Directory) != 0 && info.LinkTarget is null) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
            log?.Invoke($"overwriting run '{layout.Name}' ({old?.Status ?? "unreadable run.json"}); its saved split in splits/ is kept");
        }
        else if (policy == ExistingRunPolicy.Continue && old is not null)
        {
            // The folder is about to hold the continuing run (a new run id): the earlier attempt's row says so, as after --overwrite.
            ledger?.SetStatus(old.RunId, RunStatus.Overwritten);
            log?.Invoke($"continuing run '{layout.Name}' ({old.Status}) in its folder; its ledger row is marked {RunStatus.Overwritten}");
        }
    }

    private static void CheckContent(RunLayout layout, ExistingRunPolicy policy, RunLockHolder? staleHolder)
    {
        if (!File.Exists(layout.RunJson))
        {
            var foreign = Directory.EnumerateFileSystemEntries(layout.Root).Select(Path.GetFileName)
                .Where(n => n is not ("splits" or "run.lock") && !AtomicFile.IsTemporary(n!)).ToArray();
            if (foreign.Length > 0)
                throw new InputException($"the folder exists and is not a Classify run (no run.json, but {string.Join(", ", foreign.Take(3))}" +
                                         $"{(foreign.Length > 3 ? ", …" : "")}); choose another run name", layout.Root);
            return;
        }
        if (policy != ExistingRunPolicy.Refuse) return;
        var info = RunRecovery.TryLoad(layout);
        var status = info?.Status switch
        {
            null => "with an unreadable run.json",
            RunStatus.Running => $"{RunStatus.Interrupted}: {(staleHolder is { Pid: > 0 } h ? $"process {h.Pid}" : "the process writing it")} has ended",
            var s => s + (info.FinishedUtc is { } t ? $" {t:yyyy-MM-dd HH:mm} UTC" : ""),
        };
        throw new InputException($"run '{layout.Name}' already exists ({status}); choose another name, or {OverwriteFlag} to replace it " +
                                 "(its saved split in splits/ is kept)", layout.Root);
    }
}
