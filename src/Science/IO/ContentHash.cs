using System.IO.Hashing;
using System.Text;

namespace Tract7dt.Science.IO;

/// <summary>
/// Content hashes (XxHash128, lower-case hex) of files, bytes and text: the identity of
/// inputs and outputs. Lower layers (patch payloads, PSF cache keys, cluster scripts) hash
/// through here; the stage runner's cached hasher does too.
/// </summary>
public static class ContentHash
{
    private const int BufferSize = 1 << 20;

    /// <summary>Hash of a file read in full.</summary>
    public static string OfFile(string path)
    {
        var h = new XxHash128();
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        h.Append(fs);
        return Convert.ToHexStringLower(h.GetCurrentHash());
    }

    public static string OfBytes(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(XxHash128.Hash(bytes));

    /// <summary>Hash of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static string OfText(string text) => OfBytes(Encoding.UTF8.GetBytes(text));
}
