using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// Content hashes (XxHash128, lower-case hex) of files and text: the identity of every
/// input and output in the build graph. File hashes are cached by (full path, size,
/// last-write time) because re-hashing a 40-band tile on every no-op build would take
/// minutes; the cache only ever short-cuts to a hash computed from the same bytes.
/// </summary>
public sealed class ContentHasher
{
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly string? _cacheFile;
    private int _dirty;

    /// <param name="cacheFile">Persistent cache (TSV), or null for an in-memory cache only.</param>
    public ContentHasher(string? cacheFile = null)
    {
        _cacheFile = cacheFile;
        if (cacheFile is not null && File.Exists(cacheFile)) Load(cacheFile);
    }

    /// <summary>Hash of a file's bytes (from the cache when path, size and mtime are unchanged).</summary>
    public string HashFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Cannot hash missing file: {info.FullName}", info.FullName);
        long ticks = info.LastWriteTimeUtc.Ticks;
        if (_cache.TryGetValue(info.FullName, out var e) && e.Size == info.Length && e.MtimeTicks == ticks)
            return e.Hash;
        string hash = HashStream(info.FullName);
        _cache[info.FullName] = new Entry(info.Length, ticks, hash);
        Interlocked.Exchange(ref _dirty, 1);
        return hash;
    }

    /// <summary>Hash of a file read in full, bypassing the cache (<see cref="IO.ContentHash.OfFile"/>).</summary>
    public static string HashStream(string path) => IO.ContentHash.OfFile(path);

    public static string HashBytes(ReadOnlySpan<byte> bytes) => IO.ContentHash.OfBytes(bytes);

    public static string HashText(string text) => IO.ContentHash.OfText(text);

    /// <summary>
    /// Rehashes every cached file from its bytes (what size and date cannot see: a file changed
    /// in place with its date kept), replaces the stale entries, forgets files that are gone,
    /// and returns the files whose content no longer matched. <see cref="Save"/> writes it back.
    /// </summary>
    public IReadOnlyList<string> Refresh()
    {
        var changed = new List<string>();
        foreach (var (path, e) in _cache.OrderBy(k => k.Key, StringComparer.Ordinal).ToList())
        {
            var info = new FileInfo(path);
            if (!info.Exists) { _cache.TryRemove(path, out _); Interlocked.Exchange(ref _dirty, 1); continue; }
            string hash = HashStream(path);
            if (hash != e.Hash) changed.Add(path);
            if (hash != e.Hash || info.Length != e.Size || info.LastWriteTimeUtc.Ticks != e.MtimeTicks)
            {
                _cache[path] = new Entry(info.Length, info.LastWriteTimeUtc.Ticks, hash);
                Interlocked.Exchange(ref _dirty, 1);
            }
        }
        return changed;
    }

    /// <summary>Writes the cache back if anything was added (atomic).</summary>
    public void Save()
    {
        if (_cacheFile is null || Interlocked.Exchange(ref _dirty, 0) == 0) return;
        var sb = new StringBuilder();
        foreach (var kv in _cache.OrderBy(k => k.Key, StringComparer.Ordinal))
            sb.Append(kv.Value.Size.ToString(CultureInfo.InvariantCulture)).Append('\t')
              .Append(kv.Value.MtimeTicks.ToString(CultureInfo.InvariantCulture)).Append('\t')
              .Append(kv.Value.Hash).Append('\t').Append(kv.Key).Append('\n');
        IO.AtomicFile.WriteAllText(_cacheFile, sb.ToString());
    }

    private void Load(string file)
    {
        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split('\t', 4);
            if (parts.Length == 4
                && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long size)
                && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long ticks))
                _cache[parts[3]] = new Entry(size, ticks, parts[2]);
        }
    }

    private readonly record struct Entry(long Size, long MtimeTicks, string Hash);
}
