using System.Text;
using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Catalog;

/// <summary>The image list file: one FITS path per line (docs/inputs.md §2).</summary>
public static class ImageList
{
    // Python's str.splitlines() boundaries: \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029.
    private static readonly string[] s_breaks =
        ["\r\n", "\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"];

    /// <summary>
    /// Read the list: each line trimmed; blank lines and lines starting with <c>#</c> skipped
    /// (a later <c>#</c> is part of the path); <c>~</c> expanded; a relative path joined to
    /// <paramref name="configDir"/> (the config file's folder, not the list's); made absolute
    /// with links followed. Order kept. Missing file → <see cref="ErrorCodes.ImageListNotFound"/>;
    /// no path → <see cref="ErrorCodes.ImageListEmpty"/>.
    /// </summary>
    public static IReadOnlyList<string> Read(string listPath, string configDir) =>
        ReadWithLines(listPath, configDir).Select(e => e.Path).ToList();

    /// <summary>As <see cref="Read"/>, with each path's 1-based line in the list.</summary>
    public static IReadOnlyList<(string Path, int Line)> ReadWithLines(string listPath, string configDir)
    {
        if (!File.Exists(listPath))
            throw new Tract7dtException(ErrorCodes.ImageListNotFound,
                $"Image list file not found: {listPath}. Set inputs.image_list_file to a text file with one FITS path per line.");
        string text = File.ReadAllText(listPath, new UTF8Encoding(false));
        var paths = new List<(string, int)>();
        int n = 0;
        foreach (string raw in text.Split(s_breaks, StringSplitOptions.None))
        {
            n++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            paths.Add((PathResolution.Resolve(line, configDir), n));
        }
        if (paths.Count == 0)
            throw new Tract7dtException(ErrorCodes.ImageListEmpty,
                $"No image paths found in {listPath}. Add one FITS path per line (lines starting with # are comments).").At(listPath);
        return paths;
    }
}
