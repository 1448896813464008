using System.Text;

namespace Tract7dt.Science.IO;

/// <summary>
/// Writes a file under a temporary name in the same folder and renames it into place
/// when complete, so a killed process never leaves a partial file under the final name
/// (and a reader never sees one). Every output of the pipeline goes through here.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Temporary name beside <paramref name="path"/>; unique per process and call.</summary>
    public static string TempPathFor(string path) =>
        $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Runs <paramref name="write"/> on a stream for a temporary file, then renames it
    /// over <paramref name="path"/>. On failure the temporary file is deleted and nothing changes.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = TempPathFor(full);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: false);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy, 0, copy.Length));
    }

    /// <summary>UTF-8 without BOM, text as given (line endings are the caller's).</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Utf8NoBom.GetBytes(text));

    /// <summary>Writes text through a <see cref="TextWriter"/> (UTF-8, no BOM, '\n' newlines).</summary>
    public static void WriteText(string path, Action<TextWriter> write) => Write(path, s =>
    {
        using var w = new StreamWriter(s, Utf8NoBom, 1 << 16, leaveOpen: true) { NewLine = "\n" };
        write(w);
    });

    /// <summary>Writes only when the content differs, so the file's date moves only when the
    /// content does (the MSBuild habit for key files). Returns true when written.</summary>
    public static bool WriteAllTextIfChanged(string path, string text)
    {
        if (File.Exists(path) && File.ReadAllText(path) == text) return false;
        WriteAllText(path, text);
        return true;
    }

    /// <summary>Removes temporary files a killed run left in <paramref name="folder"/> (not recursive).</summary>
    public static int CleanStaleTemps(string folder)
    {
        if (!Directory.Exists(folder)) return 0;
        int n = 0;
        foreach (var f in Directory.EnumerateFiles(folder, "*.tmp-*"))
            if (TryDelete(f)) n++;
        return n;
    }

    /// <summary>
    /// Removes, in <paramref name="folder"/> and below, every temporary file a writer of ours
    /// names (<see cref="TempPathFor"/>). Only for a folder no live writer uses (the work dir
    /// under its lock).
    /// </summary>
    public static int CleanStaleTempsUnder(string folder)
    {
        if (!Directory.Exists(folder)) return 0;
        int n = 0;
        foreach (var f in Directory.EnumerateFiles(folder, "*.tmp-*", SearchOption.AllDirectories))
            if (IsOurTemp(Path.GetFileName(f)) && TryDelete(f)) n++;
        return n;
    }

    /// <summary>Whether a file name ends as <see cref="TempPathFor"/> makes it: <c>.tmp-&lt;pid&gt;-&lt;32 hex&gt;</c>.</summary>
    internal static bool IsOurTemp(string name)
    {
        int at = name.LastIndexOf(".tmp-", StringComparison.Ordinal);
        if (at < 0) return false;
        var rest = name.AsSpan(at + 5);
        int dash = rest.IndexOf('-');
        if (dash <= 0 || rest.Length - dash - 1 != 32) return false;
        foreach (char c in rest[..dash]) if (!char.IsAsciiDigit(c)) return false;
        foreach (char c in rest[(dash + 1)..]) if (!char.IsAsciiHexDigitLower(c)) return false;
        return true;
    }

    private static bool TryDelete(string path)
    {
        try { File.Delete(path); return true; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
