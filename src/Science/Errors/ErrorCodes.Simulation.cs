namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    /// <summary>Simulation options are invalid (unknown preset, bad size, band or source count).</summary>
    public const string SimulationOptionsInvalid = "T7D800";
    /// <summary>The simulation output folder cannot be written.</summary>
    public const string SimulationOutputFailed = "T7D801";
    /// <summary>The truth folder given to the scorer lacks <c>truth.csv</c> or <c>truth_zp.csv</c>, or they are malformed.</summary>
    public const string ScoreTruthInvalid = "T7D802";
    /// <summary>The catalogue given to the scorer is missing or lacks a required column.</summary>
    public const string ScoreCatalogInvalid = "T7D803";
}
