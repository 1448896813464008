namespace Tract7dt.Science.Config;

/// <summary>
/// Path rules shared by the config and the image list (docs/config.md §4): expand a leading
/// <c>~</c>, join a relative path to a base folder, make it absolute and canonical
/// (<c>.</c> and <c>..</c> removed, symbolic links of existing components followed).
/// </summary>
public static class PathResolution
{
    /// <summary>The user's home folder (HOME, else the OS profile folder).</summary>
    public static string HomeFolder =>
        Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h
            ? h
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>Replace a leading <c>~</c> (alone or before a separator) by the home folder.</summary>
    public static string ExpandHome(string path)
    {
        if (path == "~") return HomeFolder;
        if (path.StartsWith("~/", StringComparison.Ordinal) ||
            (Path.DirectorySeparatorChar == '\\' && path.StartsWith("~\\", StringComparison.Ordinal)))
            return Path.Join(HomeFolder, path[2..]);
        return path;
    }

    /// <summary>
    /// Resolve <paramref name="value"/> against <paramref name="baseFolder"/>: <c>~</c>
    /// expanded; relative joined to the base; absolute, canonical, links followed.
    /// </summary>
    public static string Resolve(string value, string baseFolder)
    {
        string p = ExpandHome(value);
        if (!Path.IsPathRooted(p)) p = Path.Join(baseFolder, p);
        return Canonicalize(p);
    }

    /// <summary>
    /// Absolute path with <c>.</c>/<c>..</c> removed and every existing symbolic-link
    /// component replaced by its final target (components that do not exist are kept as written).
    /// </summary>
    public static string Canonicalize(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full) ?? "/";
        string[] parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        string current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Join(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                if (target is not null)
                {
                    // The target itself may lie under other links; canonicalise it in turn.
                    next = Canonicalize(target.FullName);
                }
            }
            current = next;
        }
        return current;
    }
}
