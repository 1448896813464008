using System.Text.Json;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Patches;

/// <summary>
/// <c>state/patch_payloads.json</c>: the tags whose payloads the current BuildPatchInputs
/// run stands behind, in patch order. RunPatches fits exactly these (README fix #9).
/// </summary>
public static class PayloadList
{
    public static void Write(string path, IReadOnlyList<string> tags) =>
        IO.JsonFile.Write(path, new { patches = tags });

    /// <summary>The listed tags, or null when the file does not exist.</summary>
    public static IReadOnlyList<string>? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.GetProperty("patches").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new Tract7dtException(ErrorCodes.PayloadInvalid, $"{path} is damaged ({e.Message}); rerun 'tract7dt build-patch-inputs'.", e);
        }
    }
}
