using System.Globalization;
using System.Text;
using System.Text.Json;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Imaging;

namespace Tract7dt.Science.Patches;

/// <summary>
/// <c>patches.csv</c> and <c>patches.json</c> (docs/outputs.md §7): one record per patch, in
/// the order of <see cref="PatchLayout.Build"/>, fields <see cref="Fields"/>. The JSON file
/// is what later stages read.
/// </summary>
public static class PatchList
{
    /// <summary>The fields of each record, in file order.</summary>
    public static readonly string[] Fields =
    [
        "epsf_r", "epsf_c", "patch_r", "patch_c", "epsf_tag", "patch_tag",
        "x0_base", "x1_base", "y0_base", "y1_base", "x0_roi", "x1_roi", "y0_roi", "y1_roi", "halo_pix",
    ];

    /// <summary>CSV text: header and rows; with no patch, an empty file (the original writes no header then).</summary>
    public static string ToCsv(IReadOnlyList<PatchDefinition> patches)
    {
        if (patches.Count == 0) return "\n";
        var sb = new StringBuilder();
        sb.Append(string.Join(',', Fields)).Append('\n');
        foreach (var p in patches) sb.Append(string.Join(',', Values(p))).Append('\n');
        return sb.ToString();
    }

    /// <summary>JSON text: an array of objects, 2-space indentation, keys in <see cref="Fields"/> order
    /// (Python's <c>json.dumps(..., indent=2)</c>, as the original wrote it).</summary>
    public static string ToJson(IReadOnlyList<PatchDefinition> patches) =>
        IO.PythonJson.Write(patches.Select(p => Fields.Zip(Typed(p), (k, v) => (k, (object?)v)).ToList()).ToList()) + "\n";

    /// <summary>Writes both files atomically.</summary>
    public static void Write(string csvPath, string jsonPath, IReadOnlyList<PatchDefinition> patches)
    {
        IO.AtomicFile.WriteAllText(csvPath, ToCsv(patches));
        IO.AtomicFile.WriteAllText(jsonPath, ToJson(patches));
    }

    /// <summary>Reads <c>patches.json</c>; <see cref="ErrorCodes.PatchListMissing"/> when absent or damaged.</summary>
    public static IReadOnlyList<PatchDefinition> Read(string jsonPath)
    {
        if (!File.Exists(jsonPath))
            throw new Tract7dtException(ErrorCodes.PatchListMissing,
                $"Missing {jsonPath}: the BuildPatches stage has not run for this work_dir. Run 'tract7dt build-patches' (or 'build-patch-inputs' / 'run') first.");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
            var list = new List<PatchDefinition>();
            foreach (var o in doc.RootElement.EnumerateArray())
            {
                int I(string k) => o.GetProperty(k).GetInt32();
                list.Add(new PatchDefinition(I("epsf_r"), I("epsf_c"), I("patch_r"), I("patch_c"),
                    new PixelBox(I("x0_base"), I("x1_base"), I("y0_base"), I("y1_base")),
                    new PixelBox(I("x0_roi"), I("x1_roi"), I("y0_roi"), I("y1_roi")), I("halo_pix")));
            }
            return list;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new Tract7dtException(ErrorCodes.PatchListMissing,
                $"{jsonPath} is not a valid patch list ({e.Message}); rerun 'tract7dt build-patches'.", e);
        }
    }

    /// <summary>A record's values in <see cref="Fields"/> order: the two tags as text, the rest as integers.</summary>
    private static object[] Typed(PatchDefinition p) =>
    [
        p.EpsfRow, p.EpsfCol, p.PatchRow, p.PatchCol, p.EpsfTag, p.PatchTag,
        p.Base.X0, p.Base.X1, p.Base.Y0, p.Base.Y1,
        p.Roi.X0, p.Roi.X1, p.Roi.Y0, p.Roi.Y1, p.HaloPix,
    ];

    private static string[] Values(PatchDefinition p) =>
        Typed(p).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)!).ToArray();
}
