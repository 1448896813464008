using System.Globalization;

namespace Tract7dt.Science.Config;

/// <summary>
/// A worker-count setting: <c>"auto"</c> or an explicit integer (written in YAML as an
/// integer or as an integer string such as <c>"8"</c>).
/// </summary>
/// <param name="Explicit">The explicit count, or null for <c>auto</c>. Not clamped here.</param>
public readonly record struct WorkerCount(int? Explicit)
{
    /// <summary>The <c>auto</c> setting.</summary>
    public static WorkerCount Auto => new(null);

    public bool IsAuto => Explicit is null;

    /// <summary>"auto" or the integer, invariant.</summary>
    public override string ToString() =>
        Explicit is int n ? n.ToString(CultureInfo.InvariantCulture) : "auto";
}

/// <summary>
/// Resolution of the worker counts (docs/config.md §5). <c>cpuCount</c> is the number of logical
/// processors (<see cref="Environment.ProcessorCount"/>); pass it in so tests and logs are
/// reproducible. No worker count changes any computed value.
/// </summary>
public static class WorkerCounts
{
    /// <summary>
    /// <c>performance.frame_prep_workers</c>: cap = max(1, min(nImages, cpuCount));
    /// auto → cap; n → max(1, min(cap, n)).
    /// </summary>
    public static int ResolveFramePrepWorkers(WorkerCount setting, int nImages, int cpuCount) =>
        Clamp(setting, Math.Max(1, Math.Min(nImages, Math.Max(1, cpuCount))));

    /// <summary>
    /// <c>performance.white_stack_workers</c> for a full (pre-crop) image of
    /// <paramref name="imageHeight"/> rows: cap = max(1, min(row chunks, cpuCount)); auto → cap;
    /// n → max(1, min(cap, n)).
    /// </summary>
    public static int ResolveWhiteStackWorkers(WorkerCount setting, int imageHeight, int cpuCount) =>
        Clamp(setting, Math.Max(1, Math.Min(WhiteStackChunkCount(imageHeight), Math.Max(1, cpuCount))));

    /// <summary>
    /// <c>epsf.max_workers</c>: auto → min(nBands, cpuCount), at least 1; an explicit value is
    /// used as is (load rejects values below 1 when <c>epsf.parallel_bands</c> is true).
    /// </summary>
    public static int ResolveEpsfWorkers(WorkerCount setting, int nBands, int cpuCount) =>
        setting.Explicit ?? Math.Max(1, Math.Min(nBands, Math.Max(1, cpuCount)));

    /// <summary>Rows per white-stack chunk: max(256, min(1024, H // 8)) for H ≥ 8, else 256.</summary>
    public static int WhiteStackChunkRows(int imageHeight) =>
        imageHeight >= 8 ? Math.Max(256, Math.Min(1024, imageHeight / 8)) : 256;

    /// <summary>Number of row chunks [y0, min(H, y0 + rows)) covering H rows (0 for H ≤ 0).</summary>
    public static int WhiteStackChunkCount(int imageHeight)
    {
        if (imageHeight <= 0) return 0;
        int rows = WhiteStackChunkRows(imageHeight);
        return (imageHeight + rows - 1) / rows;
    }

    private static int Clamp(WorkerCount setting, int cap) =>
        setting.Explicit is int n ? Math.Max(1, Math.Min(cap, n)) : cap;
}
