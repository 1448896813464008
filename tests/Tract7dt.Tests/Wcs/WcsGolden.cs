using System.Text.Json;
using Tract7dt.Science.Fits;

namespace Tract7dt.Tests.Wcs;

/// <summary>One golden case written by tools/fixtures/wcs/make_wcs_fixtures.py (astropy 5.2.1).</summary>
internal sealed class WcsGolden
{
    public required string Name { get; init; }
    public required FitsHeader Header { get; init; }
    public required double[] PixX { get; init; }
    public required double[] PixY { get; init; }
    public required double[] PixRa { get; init; }
    public required double[] PixDec { get; init; }
    public required double[] SkyRa { get; init; }
    public required double[] SkyDec { get; init; }
    public required double[] SkyX { get; init; }
    public required double[] SkyY { get; init; }
    public required double[] PixScaleArcsec { get; init; }

    public static readonly string[] Names = ["tan_cd", "tan_pc", "tan_crota", "tan_sip", "tpv"];

    public static WcsGolden Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", "Wcs", name + ".json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var header = new FitsHeader();
        foreach (var card in root.GetProperty("cards").EnumerateArray())
        {
            string key = card[0].GetString()!;
            var v = card[1];
            object value = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString()!,
                JsonValueKind.Number when v.TryGetInt64(out long l) && !v.GetRawText().Contains('.')
                    && !v.GetRawText().Contains('e') => l,
                JsonValueKind.Number => v.GetDouble(),
                _ => throw new InvalidDataException($"{path}: card {key} has an unexpected value {v}"),
            };
            header.Add(new FitsCard(key, value));
        }
        double[] Arr(string group, string field) =>
            root.GetProperty(group).GetProperty(field).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return new WcsGolden
        {
            Name = name,
            Header = header,
            PixX = Arr("pix2sky", "x"), PixY = Arr("pix2sky", "y"),
            PixRa = Arr("pix2sky", "ra"), PixDec = Arr("pix2sky", "dec"),
            SkyRa = Arr("sky2pix", "ra"), SkyDec = Arr("sky2pix", "dec"),
            SkyX = Arr("sky2pix", "x"), SkyY = Arr("sky2pix", "y"),
            PixScaleArcsec = root.GetProperty("pixscale_arcsec").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
        };
    }
}
