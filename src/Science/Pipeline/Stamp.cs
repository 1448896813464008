using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// The record written beside an item's outputs once they are complete: the item's key
/// and the content hash of every output. An item is up to date only when its stamp's key
/// equals the new key and every output still hashes to what the stamp says, so neither
/// a timestamp change nor a leftover file from another run can pass as current.
/// Written last (atomically), so a killed run leaves no stamp for unfinished outputs.
/// </summary>
public sealed class Stamp
{
    [JsonPropertyName("key")]
    public string Key { get; init; } = "";

    [JsonPropertyName("algorithm")]
    public string? Algorithm { get; init; }

    /// <summary>Output path relative to the stamp's folder → content hash (sorted by path).</summary>
    [JsonPropertyName("outputs")]
    public SortedDictionary<string, string> Outputs { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The key manifest (what went into the key), for "why did this rebuild?".</summary>
    [JsonPropertyName("manifest")]
    public string? Manifest { get; init; }

    /// <summary>Hashes <paramref name="outputs"/> and writes the stamp (last, atomically).</summary>
    public static Stamp Write(string stampPath, StageKeyBuilder key, IEnumerable<string> outputs, ContentHasher hasher) =>
        Write(stampPath, key.Key, key.Manifest, outputs, hasher);

    /// <summary>Writes a planned item's stamp (its key and manifest) over <paramref name="outputs"/>.</summary>
    public static Stamp Write(StageItem item, IEnumerable<string> outputs, ContentHasher hasher) =>
        Write(item.StampPath, item.Key, item.Manifest, outputs, hasher);

    private static Stamp Write(string stampPath, string key, string manifest, IEnumerable<string> outputs, ContentHasher hasher)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(stampPath))!;
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var o in outputs)
            map[Path.GetRelativePath(folder, Path.GetFullPath(o)).Replace('\\', '/')] = hasher.HashFile(o);
        var stamp = new Stamp { Key = key, Algorithm = manifest.Split('\n')[0], Outputs = map, Manifest = manifest };
        IO.JsonFile.Write(stampPath, stamp);
        return stamp;
    }

    /// <summary>Reads a stamp; null when absent or unreadable (a damaged stamp means "rebuild").</summary>
    public static Stamp? TryRead(string stampPath)
    {
        try
        {
            return File.Exists(stampPath) ? IO.JsonFile.Parse<Stamp>(File.ReadAllText(stampPath)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when the stamp at <paramref name="stampPath"/> has key <paramref name="key"/> and
    /// each recorded output exists and hashes to its recorded value. <paramref name="reason"/>
    /// says why not (for the log).
    /// </summary>
    public static bool IsUpToDate(string stampPath, string key, ContentHasher hasher, out string reason)
    {
        var stamp = TryRead(stampPath);
        if (stamp is null) { reason = "no stamp"; return false; }
        if (stamp.Key != key) { reason = "inputs or settings changed"; return false; }
        string folder = Path.GetDirectoryName(Path.GetFullPath(stampPath))!;
        foreach (var (rel, hash) in stamp.Outputs)
        {
            string path = Path.Combine(folder, rel);
            if (!File.Exists(path)) { reason = $"output missing: {rel}"; return false; }
            if (hasher.HashFile(path) != hash) { reason = $"output changed: {rel}"; return false; }
        }
        reason = "up to date";
        return true;
    }
}
