using System.Globalization;
using Tract7dt.Science.Cluster;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>The Slurm executor of RunPatches (<c>cluster.executor: slurm</c>).</summary>
public sealed partial class RunPatchesStage
{
    /// <summary>Environment variable naming the <c>tract7dt</c> executable (or <c>tract7dt.dll</c>)
    /// the array tasks run; default: the one running now.</summary>
    public const string CliPathVariable = "TRACT7DT_CLI";

    /// <summary>
    /// Fits the given (stale) patches as one Slurm job array: each array task runs
    /// <c>tract7dt fit-patch --config C --patch TAG</c> for its patches, on the shared work dir.
    /// A patch counts as done only when its stamp matches its current key. Returns one record
    /// per item, in item order; failures carry the Slurm log path as their runner log.
    /// </summary>
    internal static PatchRunRecord[] RunOnSlurm(StageContext context, IReadOnlyList<StageItem> items)
    {
        SlurmClient.EnsureInstalled();
        var log = context.Log(Component);
        var layout = context.Layout;
        var byId = items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        string[] cli = WorkerCommandPrefix();
        var work = items.Select(i => new ClusterWorkItem(i.Id,
            [.. cli, "fit-patch", "--config", context.Config.ConfigPath, "--patch", i.Id])).ToList();
        var options = SlurmArrayOptions.FromConfig(context.Config.Cluster, "tract7dt-patches",
            Path.Join(layout.StateDir, "slurm"), layout.WorkDir);
        bool IsComplete(string id) => Stamp.IsUpToDate(byId[id].StampPath, byId[id].Key, context.Hasher, out _);

        using var progress = context.Progress(Component, TimeSpan.FromSeconds(15));
        var exec = new SlurmArrayExecutor(new SlurmClient(), options, log, progress);
        var result = exec.Run(work, IsComplete, context.Cancellation);
        log.Info(string.Create(CultureInfo.InvariantCulture,
            $"Slurm: {result.Completed.Count} ok, {result.Failed.Count} failed, {result.Resubmitted} resubmitted; arrays {string.Join(",", result.ArrayJobIds)}; " +
            $"submit {result.SubmitTime.TotalSeconds:F2}s poll {result.PollTime.TotalSeconds:F2}s collect {result.CollectTime.TotalSeconds:F2}s wall {result.Elapsed.TotalSeconds:F2}s"));

        var failed = result.Failed.ToDictionary(f => f.ItemId, StringComparer.Ordinal);
        return items.Select(i => failed.TryGetValue(i.Id, out var f)
            ? new PatchRunRecord(i.Id, "fail", 1, 0, f.LogPath,
                $"{ErrorCodes.ClusterItemsFailed}: Slurm task ended {f.State}{(f.ExitCode is null ? "" : " exit " + f.ExitCode)} after {f.Attempts} attempt(s)")
            : new PatchRunRecord(i.Id, "ok", 0, 0, RunnerLogPath(layout, i.Id), "")).ToArray();
    }

    /// <summary>The argv prefix that starts this <c>tract7dt</c> on a compute node (shared install assumed).</summary>
    internal static string[] WorkerCommandPrefix()
    {
        string? path = Environment.GetEnvironmentVariable(CliPathVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            string apphost = Path.Join(AppContext.BaseDirectory, "tract7dt");
            path = File.Exists(apphost) ? apphost : Path.Join(AppContext.BaseDirectory, "tract7dt.dll");
        }
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.ClusterBadRequest,
                $"Cannot find the tract7dt executable for the Slurm tasks ({path}); set {CliPathVariable} to its path on the shared filesystem.");
        if (!path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) return [path];
        string host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return [host, path];
    }
}
