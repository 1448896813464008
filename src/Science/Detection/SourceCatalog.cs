namespace Tract7dt.Science.Detection;

/// <summary>
/// Objects found by <see cref="Extractor"/>, as a struct of arrays in SEP's order and with
/// SEP's field names and meanings. Pixel coordinates are 0-based (pixel centres at
/// integers); fluxes and thresholds are in image units; angles in radians
/// counter-clockwise from +x.
/// </summary>
public sealed class SourceCatalog
{
    internal SourceCatalog(int n)
    {
        Count = n;
        Thresh = new float[n]; NPix = new int[n]; TNPix = new int[n];
        XMin = new int[n]; XMax = new int[n]; YMin = new int[n]; YMax = new int[n];
        X = new double[n]; Y = new double[n]; X2 = new double[n]; Y2 = new double[n]; XY = new double[n];
        A = new float[n]; B = new float[n]; Theta = new float[n];
        Cxx = new float[n]; Cyy = new float[n]; Cxy = new float[n];
        CFlux = new float[n]; Flux = new float[n]; CPeak = new float[n]; Peak = new float[n];
        XCPeak = new int[n]; YCPeak = new int[n]; XPeak = new int[n]; YPeak = new int[n];
        Flag = new short[n];
    }

    /// <summary>Number of objects.</summary>
    public int Count { get; }
    /// <summary>Object threshold t₀ (image units): mean of the pixels' thresholds.</summary>
    public float[] Thresh { get; }
    /// <summary>Pixels assigned to the object.</summary>
    public int[] NPix { get; }
    /// <summary>Pixels whose unfiltered value exceeds <see cref="Thresh"/>.</summary>
    public int[] TNPix { get; }
    /// <summary>Bounding box, inclusive, in pixels.</summary>
    public int[] XMin { get; }
    /// <inheritdoc cref="XMin"/>
    public int[] XMax { get; }
    /// <inheritdoc cref="XMin"/>
    public int[] YMin { get; }
    /// <inheritdoc cref="XMin"/>
    public int[] YMax { get; }
    /// <summary>Barycentre weighted by the filtered values (px). Deblended objects keep their core's barycentre.</summary>
    public double[] X { get; }
    /// <inheritdoc cref="X"/>
    public double[] Y { get; }
    /// <summary>Second moments about (X, Y) weighted by the filtered values (px²).</summary>
    public double[] X2 { get; }
    /// <inheritdoc cref="X2"/>
    public double[] Y2 { get; }
    /// <inheritdoc cref="X2"/>
    public double[] XY { get; }
    /// <summary>Semi-major and semi-minor axis rms (px); A ≥ B.</summary>
    public float[] A { get; }
    /// <inheritdoc cref="A"/>
    public float[] B { get; }
    /// <summary>Position angle of A (radians, from +x towards +y), in (−π/2, π/2].</summary>
    public float[] Theta { get; }
    /// <summary>Ellipse parameters: cxx·dx² + cyy·dy² + cxy·dx·dy = R² traces the R-rms isophote (px⁻²).</summary>
    public float[] Cxx { get; }
    /// <inheritdoc cref="Cxx"/>
    public float[] Cyy { get; }
    /// <inheritdoc cref="Cxx"/>
    public float[] Cxy { get; }
    /// <summary>Sum of the filtered values.</summary>
    public float[] CFlux { get; }
    /// <summary>Sum of the unfiltered values (masked pixels count 0).</summary>
    public float[] Flux { get; }
    /// <summary>Largest filtered value and its pixel.</summary>
    public float[] CPeak { get; }
    /// <summary>Largest unfiltered value and its pixel.</summary>
    public float[] Peak { get; }
    /// <summary>Pixel of <see cref="CPeak"/>.</summary>
    public int[] XCPeak { get; }
    /// <inheritdoc cref="XCPeak"/>
    public int[] YCPeak { get; }
    /// <summary>Pixel of <see cref="Peak"/>.</summary>
    public int[] XPeak { get; }
    /// <inheritdoc cref="XPeak"/>
    public int[] YPeak { get; }
    /// <summary><see cref="SourceFlags"/> bits.</summary>
    public short[] Flag { get; }
}
