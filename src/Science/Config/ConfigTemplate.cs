using Tract7dt.Science.IO;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Config;

/// <summary>
/// The commented configuration template that <c>dump-config</c> writes: every key with its
/// default, in definition order (embedded resource <c>Config/sample_config.yaml</c>).
/// </summary>
public static class ConfigTemplate
{
    private const string ResourceName = "Tract7dt.Science.Config.sample_config.yaml";

    /// <summary>The template text (UTF-8, <c>\n</c> line ends).</summary>
    public static string Text
    {
        get
        {
            using var s = typeof(ConfigTemplate).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from the build.");
            using var r = new StreamReader(s, System.Text.Encoding.UTF8);
            return r.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Write the template to <paramref name="outPath"/> (<c>~</c> expanded, made absolute),
    /// creating missing parent folders. An existing file is replaced only with
    /// <paramref name="force"/>; otherwise <see cref="ErrorCodes.ConfigTemplateExists"/>.
    /// The write is atomic (temporary file, then rename). Returns the absolute path.
    /// </summary>
    public static string Write(string outPath, bool force)
    {
        string full = Path.GetFullPath(PathResolution.ExpandHome(outPath));
        if (!force && (File.Exists(full) || Directory.Exists(full)))
            throw new Tract7dtException(ErrorCodes.ConfigTemplateExists,
                $"Refusing to overwrite existing file: {full}. Pass --force to replace it, or choose another path with --out.");
        try
        {
            AtomicFile.WriteAllText(full, Text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Tract7dtException(ErrorCodes.ConfigIo,
                $"Cannot write the config template to {full}: {e.Message} Check the folder's permissions.", e);
        }
        return full;
    }
}
