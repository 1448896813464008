namespace Tract7dt.Science.Errors;

/// <summary>
/// A failure of the file system itself (disk full, quota, permissions, a vanished mount) met
/// anywhere in a stage: one coded line (<see cref="ErrorCodes.IoFailure"/>) with the system's
/// message, which names the path, instead of a stack trace. Every writer of ours writes to a
/// temporary file and renames it, so such a failure leaves no partial output behind.
/// </summary>
public static class IoFailure
{
    /// <summary>The first I/O exception in <paramref name="e"/> (through aggregates and inner exceptions).</summary>
    public static Exception? Find(Exception e) => e switch
    {
        IOException or UnauthorizedAccessException => e,
        AggregateException a => a.Flatten().InnerExceptions.Select(Find).FirstOrDefault(x => x is not null),
        { InnerException: { } inner } => Find(inner),
        _ => null,
    };

    /// <summary>
    /// Whether <paramref name="e"/> is the file system refusing a write (disk full, quota,
    /// permissions): a plain <see cref="IOException"/> or an access error, itself or in an
    /// aggregate. A missing file, or a coded error of ours wrapping an I/O error, is not: those
    /// belong to the item that met them (e.g. one patch's fit), not to the whole run.
    /// </summary>
    public static bool IsWriteFailure(Exception e) => e switch
    {
        AggregateException a => a.Flatten().InnerExceptions.Any(IsWriteFailure),
        UnauthorizedAccessException => true,
        IOException io => io.GetType() == typeof(IOException),
        _ => false,
    };

    /// <summary>The message shown for it (after its code).</summary>
    public static string Describe(Exception io) =>
        $"{io.Message.Trim()} Free space or fix the permissions and rerun: finished items are " +
        "kept and only the rest is redone.";
}
