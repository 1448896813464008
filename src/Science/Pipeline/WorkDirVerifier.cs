using Tract7dt.Science.Logging;

namespace Tract7dt.Science.Pipeline;

/// <summary>What <see cref="WorkDirVerifier.Verify"/> found.</summary>
/// <param name="Stamps">Stamps read.</param>
/// <param name="Outputs">Outputs rehashed.</param>
/// <param name="DamagedOutputs">Outputs missing or whose bytes differ from their stamp (their items will rebuild).</param>
/// <param name="ChangedFiles">Files (inputs included) whose bytes changed while their size and date did not.</param>
public sealed record VerifyReport(int Stamps, int Outputs, IReadOnlyList<string> DamagedOutputs, IReadOnlyList<string> ChangedFiles)
{
    public bool Clean => DamagedOutputs.Count == 0 && ChangedFiles.Count == 0;
}

/// <summary>
/// The full content check of a work dir (<c>tract7dt verify</c>). A build trusts a file's cached
/// hash while its size and date are unchanged, which keeps a no-op build of a 40-band tile fast
/// but cannot see a file changed in place with its date kept (a disk fault, a restore, an
/// editor). This rehashes every output every stamp lists and every file the hash cache knows,
/// from their bytes: an item with a damaged output loses its stamp, so the next build rebuilds
/// it, and the cache gets the true hashes, so an input changed in place makes what reads it stale.
/// </summary>
public static class WorkDirVerifier
{
    public static VerifyReport Verify(WorkDirLayout layout, Log log)
    {
        var hasher = new ContentHasher(layout.HashCache);
        var changed = hasher.Refresh();
        foreach (string f in changed) log.Warn($"changed in place (same size and date): {f}");

        int stamps = 0, outputs = 0;
        var damaged = new List<string>();
        if (Directory.Exists(layout.WorkDir))
            foreach (string stampPath in StampFiles(layout))
            {
                var stamp = Stamp.TryRead(stampPath);
                if (stamp is null) continue; // unreadable: the next build rebuilds the item anyway
                stamps++;
                string folder = Path.GetDirectoryName(stampPath)!;
                var bad = new List<string>();
                foreach (var (rel, hash) in stamp.Outputs)
                {
                    outputs++;
                    string path = Path.GetFullPath(Path.Combine(folder, rel));
                    if (!File.Exists(path)) bad.Add($"{path} (missing)");
                    else if (ContentHasher.HashStream(path) != hash) bad.Add(path);
                }
                if (bad.Count == 0) continue;
                foreach (string b in bad) log.Warn($"damaged output: {b}; its item will be rebuilt ({Path.GetRelativePath(layout.WorkDir, stampPath)} removed)");
                damaged.AddRange(bad);
                File.Delete(stampPath);
            }
        hasher.Save();
        return new VerifyReport(stamps, outputs, damaged, changed);
    }

    /// <summary>Every stamp of the work dir: all live under <c>state/stamps/&lt;stage&gt;/</c>
    /// (<see cref="WorkDirLayout.StampPath"/>); files of older layouts elsewhere are not read.</summary>
    private static IEnumerable<string> StampFiles(WorkDirLayout layout) =>
        Enum.GetValues<StageId>()
            .Select(stage => Path.Join(layout.StampsDir, stage.ToString()))
            .Where(Directory.Exists)
            .SelectMany(dir => Directory.EnumerateFiles(dir, "*.json", SearchOption.AllDirectories))
            .Select(Path.GetFullPath).Order(StringComparer.Ordinal);
}
