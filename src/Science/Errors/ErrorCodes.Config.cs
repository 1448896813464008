namespace Tract7dt.Science.Errors;

// Config bucket: T7D050–079. Never reuse a retired code; comment it out instead.
public static partial class ErrorCodes
{
    /// <summary>The config file passed with <c>--config</c> does not exist.</summary>
    public const string ConfigNotFound = "T7D050";
    /// <summary>The config file is not valid YAML (the message names line and column).</summary>
    public const string ConfigYamlSyntax = "T7D051";
    /// <summary>The YAML document root is not a mapping (e.g. a list or a bare scalar).</summary>
    public const string ConfigRootNotMapping = "T7D052";
    /// <summary>A config value has the wrong YAML type (e.g. a string where an int is expected).</summary>
    public const string ConfigWrongType = "T7D053";
    /// <summary>A config value is not one of the allowed choices (e.g. <c>patch_run.gal_model</c>).</summary>
    public const string ConfigInvalidChoice = "T7D054";
    /// <summary>A numeric config value is out of its allowed range (e.g. <c>moffat_psf.beta</c> ≤ 1).</summary>
    public const string ConfigOutOfRange = "T7D055";
    /// <summary><c>dump-config</c> would overwrite an existing file and <c>--force</c> was not given.</summary>
    public const string ConfigTemplateExists = "T7D056";
    /// <summary>The config file exists but cannot be read, or an output (template, snapshot) cannot be written.</summary>
    public const string ConfigIo = "T7D057";
}
