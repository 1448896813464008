using Microsoft.Build.Framework;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Tasks;

/// <summary>
/// Writes a simulated input set (images, catalog, Gaia XP CSV, <c>config.yaml</c>) into
/// <see cref="OutDir"/> unless its <c>config.yaml</c> already exists (the simulator writes
/// it last, so its presence means the set is complete). Used by <c>examples/Run.proj</c>
/// when no <c>/p:Config=</c> is given.
/// </summary>
public sealed class Simulate : Microsoft.Build.Utilities.Task, IIncrementalTask
{
    /// <summary>Folder to write the input set into.</summary>
    [Required]
    public string OutDir { get; set; } = "";

    /// <summary><c>Tiny</c>, <c>Sample</c> (default) or <c>Tile</c>.</summary>
    public string Preset { get; set; } = nameof(SimulationPreset.Sample);

    /// <summary>Seed of the simulation (default 7, the simulator's).</summary>
    public int Seed { get; set; } = 7;

    /// <summary>The set's <c>config.yaml</c>, absolute.</summary>
    [Output]
    public string ConfigFile { get; private set; } = "";

    /// <summary>Set by <c>-question</c> on an in-process task: fail instead of simulating.</summary>
    public bool FailIfNotIncremental { get; set; }

    /// <summary>The same from the targets (<c>$(Tract7dtQuestion)</c>; the task host does not get the flag).</summary>
    public bool Question { get; set; }

    public override bool Execute()
    {
        string dir = Path.GetFullPath(OutDir);
        ConfigFile = Path.Join(dir, "config.yaml");
        if (File.Exists(ConfigFile))
        {
            Log.LogMessage(MessageImportance.Normal, $"Simulated input set present: {ConfigFile}");
            return true;
        }
        if (!Enum.TryParse<SimulationPreset>(Preset, ignoreCase: true, out var preset) || !Enum.IsDefined(preset))
        {
            Log.LogError(null, ErrorCodes.SimulationOptionsInvalid, null, null, 0, 0, 0, 0,
                $"Unknown simulation preset '{Preset}'. Use one of: {string.Join(", ", Enum.GetNames<SimulationPreset>())}.");
            return false;
        }
        if (FailIfNotIncremental || Question)
        {
            Log.LogError($"Simulated input set missing: would simulate the {preset} preset into {dir}.");
            return false;
        }
        Log.LogMessage(MessageImportance.High, $"Simulating the {preset} preset into {dir} (first run only)...");
        try
        {
            Simulator.Run(new SimulationOptions(dir, preset, Seed: (ulong)Seed),
                new Tract7dt.Science.Logging.SyncProgress<string>(m => Log.LogMessage(MessageImportance.Normal, "simulate: " + m)));
        }
        catch (Tract7dtException e)
        {
            Log.LogError(null, e.Code, null, null, 0, 0, 0, 0, e.Message);
        }
        return !Log.HasLoggedErrors;
    }

}
