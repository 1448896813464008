using Tract7dt.Science.Cluster;

namespace Tract7dt.Tests.Cluster;

/// <summary>
/// Work items in miniature for the executor tests: item i's command writes its current key
/// into <c>out/i.key</c>; the item is complete only when that file holds the current key
/// (the same rule as a stamp: a leftover file from another key does not count).
/// </summary>
internal sealed class KeyedWork : IDisposable
{
    public KeyedWork(int count, string key = "k1", Func<int, bool>? broken = null)
    {
        Root = Directory.CreateTempSubdirectory("t7d-cluster-").FullName;
        Directory.CreateDirectory(Path.Join(Root, "out"));
        Key = key;
        Items = Enumerable.Range(0, count).Select(i => new ClusterWorkItem($"p{i:D2}",
            broken?.Invoke(i) == true
                ? ["bash", "-c", "echo corrupt payload >&2; exit 3"]
                : ["bash", "-c", $"echo -n {key} > {KeyFile(i)}.tmp && mv {KeyFile(i)}.tmp {KeyFile(i)}"])).ToList();
    }

    public string Root { get; }
    public string Key { get; }
    public List<ClusterWorkItem> Items { get; }

    public string KeyFile(int i) => Path.Join(Root, "out", $"p{i:D2}.key");

    public bool IsComplete(string id)
    {
        string f = Path.Join(Root, "out", id + ".key");
        return File.Exists(f) && File.ReadAllText(f) == Key;
    }

    public SlurmArrayOptions Options(int perTask = 1, int maxResubmits = 2, double pollSec = 0.01) =>
        new("t7d-test", Path.Join(Root, "slurm"), Root)
        {
            ItemsPerTask = perTask,
            MaxResubmits = maxResubmits,
            PollInterval = TimeSpan.FromSeconds(pollSec),
        };

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }
}
