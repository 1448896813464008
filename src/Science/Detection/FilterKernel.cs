using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Detection;

/// <summary>How the filter kernel is used for the detection decision.</summary>
public enum FilterType
{
    /// <summary>Matched filter: pixel on iff Σk·f/σ² / √(Σk²/σ²) &gt; thresh (needs a noise map; otherwise plain convolution).</summary>
    Matched,
    /// <summary>Plain convolution: pixel on iff Σk·f &gt; thresh·σ.</summary>
    Convolution,
}

/// <summary>A detection filter kernel of odd size, row-major (element [r*Width + c]).</summary>
public sealed class FilterKernel
{
    /// <summary>Creates a kernel; sides must be odd and values finite.</summary>
    public FilterKernel(float[] values, int width, int height)
    {
        if (width < 1 || height < 1 || width % 2 == 0 || height % 2 == 0 || values.Length != width * height)
            throw new Tract7dtException(ErrorCodes.ExtractKernel,
                $"Filter kernel {width}×{height} with {values.Length} values: sides must be odd and ≥ 1 and the values must fill them row by row.");
        double abs = 0;
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
                throw new Tract7dtException(ErrorCodes.ExtractKernel, "Filter kernel holds a non-finite value; pass finite weights.");
            abs += Math.Abs(v);
        }
        if (abs == 0)
            throw new Tract7dtException(ErrorCodes.ExtractKernel, "Filter kernel is all zeros; pass a kernel with non-zero weights, or null for no filtering.");
        Width = width; Height = height;
        // Normalised by Σ|k| so that the filtered image keeps the data's units.
        Values = values.Select(v => (float)(v / abs)).ToArray();
    }

    /// <summary>SEP's default: [[1,2,1],[2,4,2],[1,2,1]] (a 3×3 approximation of a Gaussian of FWHM 2 px).</summary>
    public static FilterKernel Default { get; } = new([1, 2, 1, 2, 4, 2, 1, 2, 1], 3, 3);

    /// <summary>Columns (odd).</summary>
    public int Width { get; }
    /// <summary>Rows (odd).</summary>
    public int Height { get; }
    /// <summary>Normalised weights (Σ|k| = 1), row-major.</summary>
    public float[] Values { get; }
}
