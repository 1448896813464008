namespace Tract7dt.Science.Errors;

/// <summary>
/// The one exception type the science library throws for a user-facing failure
/// (bad input file, bad config value, missing prerequisite). It carries a stable
/// code from <see cref="ErrorCodes"/> (T7Dnnn) so that the CLI, the MSBuild tasks
/// and the tests can all name the failure without parsing text.
/// </summary>
/// <remarks>
/// The message must say what is wrong and how to fix it, naming the file, key or
/// column involved. Programming errors (bugs) stay ordinary exceptions.
/// </remarks>
public sealed class Tract7dtException : Exception
{
    public Tract7dtException(string code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    /// <summary>Stable error code, e.g. <c>T7D010</c>.</summary>
    public string Code { get; }

    /// <summary>The file the error is about (the config, the image list, a FITS file), when known:
    /// MSBuild shows the error there instead of at the targets file.</summary>
    public string? File { get; private set; }

    /// <summary>The 1-based line in <see cref="File"/>, 0 when unknown.</summary>
    public int Line { get; private set; }

    /// <summary>Locates the error in <paramref name="file"/> (at <paramref name="line"/>) unless it is
    /// located already (the innermost place that knows wins); returns the same exception.</summary>
    public Tract7dtException At(string file, int line = 0)
    {
        if (File is null)
        {
            File = file;
            Line = Math.Max(0, line);
        }
        return this;
    }

    /// <summary>
    /// The user error inside <paramref name="e"/>, if any: parallel loops wrap what their
    /// workers throw in an <see cref="AggregateException"/>; the first user error in it is
    /// what the user needs to see (the others are usually the same cause in other workers).
    /// </summary>
    public static Tract7dtException? Find(Exception e) => e switch
    {
        Tract7dtException t => t,
        AggregateException a => a.Flatten().InnerExceptions.Select(Find).FirstOrDefault(x => x is not null),
        { InnerException: { } inner } => Find(inner),
        _ => null,
    };

    /// <summary>"T7D010: message" as printed by the CLI and the tasks.</summary>
    public override string ToString() => $"{Code}: {Message}";
}
