namespace Tract7dt.Science.Detection;

/// <summary>
/// The per-pixel noise handed to extraction and aperture photometry: none, one value for
/// every pixel, or a map of the image's shape; each either a standard deviation or a
/// variance (image units, resp. squared). Mirrors SEP's <c>noise</c>/<c>noise_type</c>.
/// </summary>
public readonly ref struct PixelNoise
{
    private readonly ReadOnlySpan<float> _map;
    private readonly float _value;

    private PixelNoise(ReadOnlySpan<float> map, float value, bool isVariance, bool present)
    {
        _map = map; _value = value; IsVariance = isVariance; IsPresent = present;
    }

    /// <summary>No noise information.</summary>
    public static PixelNoise None => default;
    /// <summary>One standard deviation for all pixels.</summary>
    public static PixelNoise StdDev(float sigma) => new(default, sigma, false, true);
    /// <summary>One variance for all pixels.</summary>
    public static PixelNoise Variance(float variance) => new(default, variance, true, true);
    /// <summary>A standard-deviation map, row-major like the image.</summary>
    public static PixelNoise StdDevMap(ReadOnlySpan<float> sigma) => new(sigma, 0f, false, true);
    /// <summary>A variance map, row-major like the image.</summary>
    public static PixelNoise VarianceMap(ReadOnlySpan<float> variance) => new(variance, 0f, true, true);

    /// <summary>True unless <see cref="None"/>.</summary>
    public bool IsPresent { get; }
    /// <summary>True when the values are variances rather than standard deviations.</summary>
    public bool IsVariance { get; }
    /// <summary>True for a per-pixel map (false for a single value or none).</summary>
    public bool IsMap => IsPresent && !_map.IsEmpty;
    /// <summary>Length of the map (0 unless <see cref="IsMap"/>).</summary>
    public int MapLength => _map.Length;

    /// <summary>Variance of pixel <paramref name="index"/>, squared in float32 as SEP does (1e30 → +∞).</summary>
    public float VarianceAt(int index)
    {
        float v = _map.IsEmpty ? _value : _map[index];
        return IsVariance ? v : v * v;
    }

    /// <summary>Standard deviation of pixel <paramref name="index"/>.</summary>
    public float StdDevAt(int index)
    {
        float v = _map.IsEmpty ? _value : _map[index];
        return IsVariance ? MathF.Sqrt(v) : v;
    }
}
