namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    // Optimizer and patch fit: T7D430–T7D449 (the upper part of the fitting-core
    // bucket T7D400–449; the forward model uses the lower part).

    /// <summary>A fit problem reported inconsistent sizes (parameter count, image shape).</summary>
    public const string FitProblemShape = "T7D430";
    /// <summary>A patch-fit input is inconsistent (band count, image size, catalog column length).</summary>
    public const string PatchFitInput = "T7D431";
    /// <summary>A patch-fit setting is out of range (n_opt_iters, r_ap, gal_model, …).</summary>
    public const string PatchFitSetting = "T7D432";
}
