using Tract7dt.Science.IO;
using System.Globalization;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Config;

/// <summary>
/// The per-command record of the config file as the user wrote it (docs/config.md §7).
/// </summary>
public static class ConfigSnapshot
{
    /// <summary>
    /// Copy <paramref name="configPath"/> byte for byte to
    /// <c>{workDir}/config_used_{YYYYMMDD_HHMMSS}.yaml</c>, the stamp being
    /// <paramref name="now"/> (the caller passes local time). Creates <paramref name="workDir"/>.
    /// Returns the snapshot's path, or null when the config file no longer exists.
    /// A snapshot of the same second is replaced. The write is atomic.
    /// </summary>
    public static string? Save(string configPath, string workDir, DateTime now)
    {
        if (!File.Exists(configPath)) return null;
        string name = "config_used_" + now.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture) + ".yaml";
        string dest = Path.Join(workDir, name);
        try
        {
            AtomicFile.WriteAllBytes(dest, File.ReadAllBytes(configPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Tract7dtException(ErrorCodes.ConfigIo,
                $"Cannot save the config snapshot {dest}: {e.Message} Check that outputs.work_dir is writable.", e);
        }
        return dest;
    }

    /// <summary>
    /// As <see cref="Save"/>, unless the newest snapshot in <paramref name="workDir"/> already holds
    /// these bytes (the MSBuild path: one build runs several stage tasks, each of which may be the
    /// first to do work); null when nothing was written.
    /// </summary>
    public static string? SaveIfChanged(string configPath, string workDir, DateTime now)
    {
        if (!File.Exists(configPath)) return null;
        string? newest = Directory.Exists(workDir)
            ? Directory.EnumerateFiles(workDir, "config_used_*.yaml").Max(StringComparer.Ordinal)
            : null;
        if (newest is not null && File.ReadAllBytes(newest).AsSpan().SequenceEqual(File.ReadAllBytes(configPath))) return null;
        return Save(configPath, workDir, now);
    }
}
