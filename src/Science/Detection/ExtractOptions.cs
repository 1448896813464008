namespace Tract7dt.Science.Detection;

/// <summary>Settings of <see cref="Extractor.Extract"/>; defaults in brackets are the pipeline's.</summary>
public sealed record ExtractOptions
{
    /// <summary>Minimum pixels of a detected component [5; the pipeline passes epsf.minarea].</summary>
    public int MinArea { get; init; } = 5;
    /// <summary>Detection filter [SEP's 3×3 default]; null = no filtering (the data themselves are thresholded).</summary>
    public FilterKernel? Kernel { get; init; } = FilterKernel.Default;
    /// <summary>How the kernel is used [matched, which applies only with a noise map].</summary>
    public FilterType FilterType { get; init; } = FilterType.Matched;
    /// <summary>Deblending levels between the object threshold and its peak [32]; 1 = no deblending.</summary>
    public int DeblendNThresh { get; init; } = 32;
    /// <summary>Minimum flux fraction of a branch to count as a separate object [0.001]; 1 = no deblending.</summary>
    public double DeblendCont { get; init; } = 0.001;
    /// <summary>Remove objects explained by the wings of a brighter neighbour [true].</summary>
    public bool Clean { get; init; } = true;
    /// <summary>Cleaning efficiency β (the Moffat-like wing index) [1.0].</summary>
    public double CleanParam { get; init; } = 1.0;
    /// <summary>Most pixels one connected component may hold [1,000,000, the pipeline's SEP pixel stack].</summary>
    public int PixelStackLimit { get; init; } = 1_000_000;
    /// <summary>Most sub-objects on one deblending level [200,000, the pipeline's SEP setting].</summary>
    public int SubObjectLimit { get; init; } = 200_000;
}
