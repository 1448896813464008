using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// Builds the content key of one stage item: the algorithm version, the canonical config
/// values the item reads (and only those), and the content hashes of the files it reads.
/// The key is the XxHash128 of a canonical text manifest; the manifest itself is kept so
/// that a user can see why an item was rebuilt (it is written beside the stamp).
/// </summary>
public sealed class StageKeyBuilder
{
    private readonly StringBuilder _manifest = new();

    /// <param name="algorithm">Stage name and algorithm version, e.g. <c>RunPatches/1</c>;
    /// bump the version whenever the stage's numbers would change.</param>
    public StageKeyBuilder(string algorithm) => Line("algorithm", algorithm);

    /// <summary>A config value read by the item, by dotted key and canonical text.</summary>
    public StageKeyBuilder Config(string dottedKey, string canonicalValue) => Line("config " + dottedKey, canonicalValue);

    /// <summary>
    /// A settings record the item reads, by its canonical text: every public property, by name,
    /// nested records expanded (<c>settings fit.NOptIters = 20</c>). The record is what the stage
    /// code reads its numbers from, so the key cannot miss a setting the item uses, nor move
    /// with one it does not (no list of config keys kept by hand).
    /// </summary>
    public StageKeyBuilder Settings(string name, object settings)
    {
        foreach (var (path, value) in Canonical(name, settings)) Line("settings " + path, value);
        return this;
    }

    /// <summary>The canonical "path = text" lines of a settings value (see <see cref="Settings"/>).</summary>
    public static IEnumerable<(string Path, string Value)> Canonical(string path, object? value)
    {
        switch (value)
        {
            case null: yield return (path, "null"); yield break;
            case string s: yield return (path, s); yield break;
            case bool b: yield return (path, b ? "true" : "false"); yield break;
            case double d: yield return (path, d.ToString("R", CultureInfo.InvariantCulture)); yield break;
            case float f: yield return (path, f.ToString("R", CultureInfo.InvariantCulture)); yield break;
            case Enum e: yield return (path, e.ToString()); yield break;
            case IFormattable x when value.GetType().IsPrimitive || value is decimal:
                yield return (path, x.ToString(null, CultureInfo.InvariantCulture)); yield break;
            case Delegate: yield break; // paths to files are inputs, hashed by content
            case IEnumerable list:
                int i = 0;
                foreach (var v in list)
                    foreach (var line in Canonical(path + "[" + (i++).ToString(CultureInfo.InvariantCulture) + "]", v)) yield return line;
                yield return (path + ".count", i.ToString(CultureInfo.InvariantCulture));
                yield break;
        }
        var props = value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"
                        && !p.IsDefined(typeof(Config.NotInKeysAttribute), inherit: true))
            .OrderBy(p => p.Name, StringComparer.Ordinal);
        foreach (var p in props)
            foreach (var line in Canonical(path + "." + p.Name, p.GetValue(value))) yield return line;
    }

    /// <summary>An input file by role (e.g. <c>payload</c>, <c>epsf.m400</c>) and content hash.</summary>
    public StageKeyBuilder Input(string role, string contentHash) => Line("input " + role, contentHash);

    /// <summary>Any other value the output depends on (e.g. a patch's geometry).</summary>
    public StageKeyBuilder Value(string name, string value) => Line("value " + name, value);

    public string Manifest => _manifest.ToString();

    public string Key => ContentHasher.HashText(_manifest.ToString());

    private StageKeyBuilder Line(string name, string value)
    {
        // One "name = value" per line; newlines inside values are escaped so the manifest
        // stays one record per line and no two different inputs give the same text.
        _manifest.Append(Escape(name)).Append(" = ").Append(Escape(value)).Append('\n');
        return this;
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r");
}
