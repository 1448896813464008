using Tract7dt.Science.Config;
using Tract7dt.Science.Logging;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// Everything a stage function may use besides its input files: the config, the work-dir
/// layout, logging, progress, the content hasher and cancellation. The CLI and the MSBuild
/// tasks each build one and call the same stage functions with it.
/// </summary>
public sealed class StageContext
{
    public StageContext(PipelineConfig config, ILogSink sink, ProgressFactory? progress = null,
        ContentHasher? hasher = null, CancellationToken cancellation = default)
    {
        Config = config;
        Layout = new WorkDirLayout(config);
        Sink = sink;
        ProgressFactory = progress ?? new ProgressFactory(Logging.Progress.Logged);
        Hasher = hasher ?? new ContentHasher(Layout.HashCache);
        Cancellation = cancellation;
    }

    public PipelineConfig Config { get; }

    public WorkDirLayout Layout { get; }

    public ILogSink Sink { get; }

    public ProgressFactory ProgressFactory { get; }

    /// <summary>Content hashes, cached by (path, size, mtime) in <see cref="WorkDirLayout.HashCache"/>.</summary>
    public ContentHasher Hasher { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>Logical processor count used to resolve "auto" worker values.</summary>
    public int CpuCount { get; init; } = Environment.ProcessorCount;

    /// <summary>A logger with the original's component names (<c>tract7dt.pipeline</c>, <c>tract7dt.epsf</c>, …).</summary>
    public Log Log(string component) => new(Sink, component);

    /// <summary>A progress line for a phase, logged at most every <paramref name="logInterval"/> when not on a terminal.</summary>
    public Progress Progress(string component, TimeSpan logInterval) => ProgressFactory(Log(component), logInterval);
}
