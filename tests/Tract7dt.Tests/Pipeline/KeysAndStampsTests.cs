using Tract7dt.Science.IO;
using Tract7dt.Science.Pipeline;
using Xunit;

namespace Tract7dt.Tests.Pipeline;

public sealed class KeysAndStampsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-keys");

    public void Dispose() => _dir.Delete(true);

    private string P(string name) => Path.Combine(_dir.FullName, name);

    [Fact]
    public void Key_changes_with_each_ingredient_and_only_with_them()
    {
        string K(string alg, string cfg, string input) =>
            new StageKeyBuilder(alg).Config("patch_run.n_opt_iters", cfg).Input("payload", input).Key;
        string k0 = K("RunPatches/1", "20", "abc");
        Assert.Equal(k0, K("RunPatches/1", "20", "abc"));
        Assert.NotEqual(k0, K("RunPatches/2", "20", "abc"));
        Assert.NotEqual(k0, K("RunPatches/1", "21", "abc"));
        Assert.NotEqual(k0, K("RunPatches/1", "20", "abd"));
        Assert.Equal(32, k0.Length);
    }

    [Fact]
    public void Newlines_in_values_cannot_forge_another_manifest()
    {
        var a = new StageKeyBuilder("X/1").Value("a", "1\nvalue b = 2").Key;
        var b = new StageKeyBuilder("X/1").Value("a", "1").Value("b", "2").Key;
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Stamp_is_fresh_until_key_or_output_content_changes_but_not_on_touch()
    {
        var hasher = new ContentHasher();
        AtomicFile.WriteAllText(P("out.csv"), "a,b\n1,2\n");
        var key = new StageKeyBuilder("Merge/1").Config("merge.pattern", "*_cat_fit.csv");
        Stamp.Write(P("out.stamp.json"), key, new[] { P("out.csv") }, hasher);

        Assert.True(Stamp.IsUpToDate(P("out.stamp.json"), key.Key, hasher, out _));

        // A timestamp change alone never makes an item stale.
        File.SetLastWriteTimeUtc(P("out.csv"), DateTime.UtcNow.AddHours(1));
        Assert.True(Stamp.IsUpToDate(P("out.stamp.json"), key.Key, new ContentHasher(), out _));

        Assert.False(Stamp.IsUpToDate(P("out.stamp.json"), "other", hasher, out var why1));
        Assert.Contains("changed", why1);

        File.WriteAllText(P("out.csv"), "a,b\n1,3\n");
        Assert.False(Stamp.IsUpToDate(P("out.stamp.json"), key.Key, new ContentHasher(), out var why2));
        Assert.Contains("out.csv", why2);

        File.Delete(P("out.csv"));
        Assert.False(Stamp.IsUpToDate(P("out.stamp.json"), key.Key, hasher, out var why3));
        Assert.Contains("missing", why3);
    }

    [Fact]
    public void Hash_cache_persists_and_short_cuts_only_for_same_size_and_mtime()
    {
        File.WriteAllText(P("img.fits"), "0123456789");
        var cacheFile = P("hashcache.tsv");
        var h1 = new ContentHasher(cacheFile);
        string first = h1.HashFile(P("img.fits"));
        h1.Save();
        Assert.Equal(ContentHasher.HashStream(P("img.fits")), first);

        var h2 = new ContentHasher(cacheFile);
        Assert.Equal(first, h2.HashFile(P("img.fits")));

        // Same size, new content and a new mtime: the cache must not answer.
        File.WriteAllText(P("img.fits"), "9876543210");
        File.SetLastWriteTimeUtc(P("img.fits"), DateTime.UtcNow.AddMinutes(5));
        Assert.NotEqual(first, new ContentHasher(cacheFile).HashFile(P("img.fits")));
    }

    [Fact]
    public void Atomic_write_leaves_old_file_intact_when_the_writer_fails()
    {
        AtomicFile.WriteAllText(P("cat.csv"), "old");
        Assert.Throws<InvalidOperationException>(() =>
            AtomicFile.Write(P("cat.csv"), s => { s.WriteByte(1); throw new InvalidOperationException("killed"); }));
        Assert.Equal("old", File.ReadAllText(P("cat.csv")));
        Assert.Empty(Directory.GetFiles(_dir.FullName, "*.tmp-*"));
    }

    [Fact]
    public void Write_if_changed_keeps_the_date_of_an_unchanged_file()
    {
        Assert.True(AtomicFile.WriteAllTextIfChanged(P("k.txt"), "x"));
        var t = DateTime.UtcNow.AddDays(-1);
        File.SetLastWriteTimeUtc(P("k.txt"), t);
        Assert.False(AtomicFile.WriteAllTextIfChanged(P("k.txt"), "x"));
        Assert.Equal(t, File.GetLastWriteTimeUtc(P("k.txt")));
        Assert.True(AtomicFile.WriteAllTextIfChanged(P("k.txt"), "y"));
    }
}
