namespace Tract7dt.Science.Logging;

/// <summary>
/// Progress reported on the reporting thread, before <see cref="IProgress{T}.Report"/> returns.
/// <see cref="System.Progress{T}"/> posts each report to the thread pool (there is no synchronization
/// context in a console program or a build task), so lines could arrive after the command had
/// finished, out of order, or while a caller read its output writer: a CLI test read a
/// <c>StringWriter</c> as a late progress line was written to it and the read threw.
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
