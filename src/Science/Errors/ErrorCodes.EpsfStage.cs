namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    // BuildEpsf stage (src/Science/Psf/Stage, Pipeline/Stages/BuildEpsfStage.cs): T7D220–T7D229.

    /// <summary><c>epsf.max_workers</c> resolves to fewer than one worker while
    /// <c>epsf.parallel_bands</c> is on.</summary>
    public const string EpsfWorkers = "T7D220";

    /// <summary>The catalog the stage reads (state catalog) lacks RA/DEC or cannot be read.</summary>
    public const string EpsfCatalog = "T7D221";

    /// <summary><c>epsf.q_range</c> is not a list of two numbers.</summary>
    public const string EpsfQRange = "T7D222";
}
