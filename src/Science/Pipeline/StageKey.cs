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
