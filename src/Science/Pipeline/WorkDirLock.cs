using System.Globalization;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// One run at a time per work dir: an exclusive lock on <c>state/run.lock</c>, held for a
/// CLI command or a whole MSBuild build. Two runs on one work dir with different configs used to
/// interleave: one wrote <c>patch_failed</c> rows, the other failed on a file the first had
/// just replaced. The lock is the operating system's (an exclusive open, which .NET holds
/// with <c>flock</c> on Unix), so a killed run releases it; <c>state/run.lock.holder</c> says
/// who holds it, for the message the second run gets.
/// </summary>
/// <remarks>
/// Under MSBuild the build takes the lock once, before its first stage, and holds it until it
/// ends (the in-process <c>Tract7dtBuildLock</c> task of <c>build/Tract7dt.targets</c>, which
/// registers the open lock with MSBuild for disposal at the end of the build); it writes a
/// token into the holder file and hands it to every stage task, which joins the build's lock
/// with it (<see cref="Join"/>) instead of taking its own. So no other run can slip in between
/// two stages of a build. A <c>-question</c> build takes no lock: it reads only. Slurm array
/// tasks (<c>fit-patch</c>) work for the run that holds the lock and take none.
/// </remarks>
public sealed class WorkDirLock : IDisposable
{
    private readonly FileStream? _lock;
    private readonly string? _holderFile;

    private WorkDirLock(FileStream? lockStream, string? holderFile)
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
            throw Locked(layout, Holder(holder).Who);
        }
        IO.AtomicFile.WriteAllText(holder, string.Create(CultureInfo.InvariantCulture,
            $"{what} (pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTime.Now:yyyy-MM-dd HH:mm:ss})\n"));
        // The holder is the work dir's only writer: a temporary file found now was left by a run
        // that died before it could rename or delete it (kill -9, disk full, power).
        int stale = IO.AtomicFile.CleanStaleTempsUnder(layout.WorkDir);
        return new WorkDirLock(stream, holder) { StaleTempsRemoved = stale };
    }

    /// <summary>
    /// Works under the lock an MSBuild build holds for all its stages: <paramref name="token"/>
    /// is the one the build wrote into the holder file when it took the lock. Removes the
    /// temporary files of dead runs, as <see cref="Acquire"/> does. Disposing the result
    /// releases nothing (the build does, when it ends).
    /// </summary>
    /// <exception cref="Tract7dtException"><see cref="ErrorCodes.WorkDirLocked"/> when the work dir is
    /// not held with this token (another run holds it, or the build's lock is gone).</exception>
    public static WorkDirLock Join(WorkDirLayout layout, string token)
    {
        string holder = Path.Join(layout.StateDir, "run.lock.holder");
        var (who, held) = Holder(holder);
        if (held != token) throw Locked(layout, who);
        return new WorkDirLock(null, null) { StaleTempsRemoved = IO.AtomicFile.CleanStaleTempsUnder(layout.WorkDir) };
    }

    /// <summary>The holder file's first line (who) and its token line, if any.</summary>
    private static (string Who, string? Token) Holder(string holderFile)
    {
        try
        {
            if (!File.Exists(holderFile)) return ("another run", null);
            var lines = File.ReadAllLines(holderFile);
            string who = lines.Length > 0 && lines[0].Trim().Length > 0 ? lines[0].Trim() : "another run";
            string? token = lines.Skip(1).Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("token ", StringComparison.Ordinal))?[6..];
            return (who, token);
        }
        catch (IOException) { return ("another run", null); }
    }

    private static Tract7dtException Locked(WorkDirLayout layout, string who) => new(ErrorCodes.WorkDirLocked,
        $"The work dir {layout.WorkDir} is in use by {who}. Wait for that run to finish (or stop it), " +
        "or give this run its own outputs.work_dir.");

    /// <summary>Temporary files of dead runs removed when the lock was taken.</summary>
    public int StaleTempsRemoved { get; private init; }

    public void Dispose()
    {
        if (_lock is null) return; // joined a build's lock: the build releases it
        try { File.Delete(_holderFile!); }
        catch (IOException) { }
        _lock.Dispose();
    }
}
