namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    /// <summary>A task or target names a stage that is not one of <c>StageId</c>'s names.</summary>
    public const string GraphUnknownStage = "T7D700";
    /// <summary>A stage planned an item id that cannot be a key-file name (empty, absolute, "..", or odd characters).</summary>
    public const string GraphBadItemId = "T7D701";
    /// <summary>MSBuild handed a stage an item its plan no longer has (an input changed during the build).</summary>
    public const string GraphItemNotPlanned = "T7D702";
    /// <summary>A stage plugin assembly (<c>Tract7dtStagePlugin</c> item) cannot be loaded or has no <c>Register()</c>.</summary>
    public const string GraphPluginFailed = "T7D703";
    /// <summary>The same item id was planned twice by one stage.</summary>
    public const string GraphDuplicateItem = "T7D704";
    /// <summary>Another tract7dt run holds the work dir (<c>state/run.lock</c>).</summary>
    public const string WorkDirLocked = "T7D705";
}
