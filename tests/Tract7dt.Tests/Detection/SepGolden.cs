using System.Buffers.Binary;
using System.Text.Json;

namespace Tract7dt.Tests.Detection;

/// <summary>
/// The SEP 1.2.1 fixtures made by tools/fixtures/detect/make_sep_fixtures.py: a 256×256
/// simulated field (stars, exponential galaxies, a sky gradient, σ = 2 noise), a mask,
/// SEP's background maps and its extraction/aperture results.
/// </summary>
internal static class SepGolden
{
    public const int Width = 256, Height = 256;

    private static readonly Lazy<float[]> s_field = new(() => ReadF32("field.f32"));
    private static readonly Lazy<byte[]> s_mask = new(() => File.ReadAllBytes(PathOf("mask.u8")));
    private static readonly Lazy<JsonDocument> s_results = new(() => JsonDocument.Parse(File.ReadAllText(PathOf("results.json"))));

    public static float[] Field => (float[])s_field.Value.Clone();
    public static byte[] Mask => s_mask.Value;
    public static JsonElement Results => s_results.Value.RootElement;

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", "Detection", name);

    public static float[] ReadF32(string name)
    {
        byte[] b = File.ReadAllBytes(PathOf(name));
        var a = new float[b.Length / 4];
        for (int i = 0; i < a.Length; i++) a[i] = BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(4 * i));
        return a;
    }

    public static double[] Doubles(JsonElement e) =>
        e.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble()).ToArray();
    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => (int)v.GetDouble()).ToArray();
}
