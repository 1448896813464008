using Microsoft.Build.Framework;
using Tract7dt.Science.Logging;

namespace Tract7dt.Tasks;

/// <summary>
/// Loads and validates the config once at the start of a build and returns what the graph
/// needs to wire itself: whether the zero-point stages run, and the work dir. An invalid
/// config fails here, before any stage writes anything (as the CLI does).
/// </summary>
public sealed class ReadConfig : Tract7dtTask
{
    /// <summary><c>zp.enabled</c> as <c>true</c>/<c>false</c>: switches AugmentGaia and ComputeZp.</summary>
    [Output]
    public string ZpEnabled { get; private set; } = "";

    /// <summary><c>outputs.work_dir</c>, absolute.</summary>
    [Output]
    public string WorkDir { get; private set; } = "";

    /// <summary>The final catalog path (<c>outputs.final_catalog</c>), absolute.</summary>
    [Output]
    public string FinalCatalog { get; private set; } = "";

    protected override bool ReportsConfigWarnings => true;

    protected override void ExecuteCore(Log log)
    {
        var context = CreateContext();
        ZpEnabled = context.Config.Zp.Enabled ? "true" : "false";
        WorkDir = context.Layout.WorkDir;
        FinalCatalog = context.Layout.FinalCatalog;
        Log.LogMessage(MessageImportance.Normal, $"Config {context.Config.ConfigPath}: work dir {WorkDir}, zp.enabled={ZpEnabled}");
    }
}
