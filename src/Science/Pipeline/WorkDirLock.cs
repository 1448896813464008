using System.Globalization;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// One run at a time per work dir: an exclusive lock on <c>state/run.lock</c>, held for a
/// CLI command or one MSBuild task. Two runs on one work dir with different configs used to
/// interleave: one wrote <c>patch_failed</c> rows, the other failed on a file the first had
/// just replaced. The lock is the operating system's (an exclusive open, which .NET holds
/// with <c>flock</c> on Unix), so a killed run releases it; <c>state/run.lock.holder</c> says
/// who holds it, for the message the second run gets.
/// </summary>
/// <remarks>
/// Under MSBuild each stage task takes the lock for its own work, so two builds cannot
/// run a stage at once, but their stages may still alternate; a build and a CLI run
/// cannot overlap within a stage either. A <c>-question</c> build takes no lock: it reads only.
/// Slurm array tasks (<c>fit-patch</c>) work for the run that holds the lock and take none.
/// </remarks>
public sealed class WorkDirLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _holderFile;

    private WorkDirLock(FileStream lockStream, string holderFile)
    {
        _lock = lockStream;
        _holderFile = holderFile;
    }

    /// <summary>Takes the work dir's lock, or throws <see cref="ErrorCodes.WorkDirLocked"/> naming the holder.</summary>
    /// <param name="what">What this run is, for the other run's message (e.g. <c>tract7dt run</c>).</param>
    public static WorkDirLock Acquire(WorkDirLayout layout, string what)
    {
        Directory.CreateDirectory(layout.StateDir);
        string path = Path.Join(layout.StateDir, "run.lock");
        string holder = path + ".holder";
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            string who = "another run";
            try { if (File.Exists(holder)) who = File.ReadAllText(holder).Trim(); }
            catch (IOException) { }
            throw new Tract7dtException(ErrorCodes.WorkDirLocked,
                $"The work dir {layout.WorkDir} is in use by {who}. Wait for that run to finish (or stop it), " +
                "or give this run its own outputs.work_dir.");
        }
        IO.AtomicFile.WriteAllText(holder, string.Create(CultureInfo.InvariantCulture,
            $"{what} (pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTime.Now:yyyy-MM-dd HH:mm:ss})\n"));
        // The holder is the work dir's only writer: a temporary file found now was left by a run
        // that died before it could rename or delete it (kill -9, disk full, power).
        int stale = IO.AtomicFile.CleanStaleTempsUnder(layout.WorkDir);
        return new WorkDirLock(stream, holder) { StaleTempsRemoved = stale };
    }

    /// <summary>Temporary files of dead runs removed when the lock was taken.</summary>
    public int StaleTempsRemoved { get; private init; }

    public void Dispose()
    {
        try { File.Delete(_holderFile); }
        catch (IOException) { }
        _lock.Dispose();
    }
}
