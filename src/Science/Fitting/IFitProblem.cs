namespace Tract7dt.Science.Fitting;

/// <summary>
/// ∂(model counts)/∂p on a rectangle of one image: the sparse unit the optimizer
/// consumes (one list of these per free parameter, one entry per image it touches).
/// </summary>
/// <param name="Image">Index of the image (band) in the problem.</param>
/// <param name="X0">Column of the patch's first pixel in image coordinates (may be
/// negative or run past the edge: the optimizer clips to the image).</param>
/// <param name="Y0">Row of the patch's first pixel.</param>
/// <param name="Width">Patch width in pixels.</param>
/// <param name="Height">Patch height in pixels.</param>
/// <param name="Values">Row-major values, length Width·Height; times <paramref name="Scale"/> they
/// are counts per unit of the parameter. One array may serve the patches of several images
/// (bands that share a PSF see the same unit-flux shape): the optimizer then keeps it once.</param>
/// <param name="Scale">Factor applied to <paramref name="Values"/> (e.g. the band's flux for a
/// position or shape derivative whose shape is shared by the bands); 1 by default.</param>
public sealed record DerivativePatch(int Image, int X0, int Y0, int Width, int Height, float[] Values, double Scale = 1.0)
{
    /// <summary>The patch's own columns [X0, X1) and rows [Y0, Y1) that fall inside an image of
    /// <paramref name="width"/> × <paramref name="height"/> (pixel (x, y) of the patch is image pixel
    /// (X0 + x, Y0 + y)).</summary>
    public (int X0, int X1, int Y0, int Y1) InImage(int width, int height) =>
        (Math.Max(0, -X0), Math.Min(Width, width - X0), Math.Max(0, -Y0), Math.Min(Height, height - Y0));

    /// <summary>Every free parameter's derivative patches of <paramref name="problem"/>, indexed by parameter.</summary>
    public static List<DerivativePatch>[] Of(IFitProblem problem)
    {
        var perParameter = new List<DerivativePatch>[problem.ParameterCount];
        for (int j = 0; j < perParameter.Length; j++) perParameter[j] = new List<DerivativePatch>();
        problem.GetDerivatives(perParameter);
        return perParameter;
    }
}

/// <summary>
/// The contract between the forward model (sources, PSFs, images) and the optimizer.
/// The optimizer sees only the flat parameter vector, bounds, max steps, the data,
/// the model images and the derivative patches: it knows nothing about sources.
/// </summary>
/// <remarks>
/// Conventions (docs/fitting.md §13): images are f32 row-major, pixel
/// (x, y) at index y·W + x; E = sqrt(invvar), pixels with E = 0 carry no weight and
/// must be treated as absent (their data may be NaN). Parameter order is the
/// Tractor's (docs/fitting.md §13.4): per image its free image parameters (sky), then per source
/// x, y, fluxes (bands sorted ordinally), [logre, ee1, ee2], [sersic n].
/// Implementations are not thread-safe; one problem is fitted by one thread.
/// </remarks>
public interface IFitProblem
{
    /// <summary>Number of images (bands) in the problem.</summary>
    int ImageCount { get; }

    int ImageWidth(int image);

    int ImageHeight(int image);

    /// <summary>Data D of one image (f32, row-major). May be NaN where E = 0.</summary>
    ReadOnlySpan<float> Data(int image);

    /// <summary>Inverse error E = sqrt(invvar) of one image; 0 = no weight.</summary>
    ReadOnlySpan<float> InverseError(int image);

    /// <summary>Number of free parameters (the length of every vector below).</summary>
    int ParameterCount { get; }

    /// <summary>Dotted Tractor-style name, e.g. <c>catalog.source3.brightness.m425</c>.</summary>
    string ParameterName(int index);

    void GetParameters(Span<double> values);

    void SetParameters(ReadOnlySpan<double> values);

    /// <summary>Hard bounds; <see cref="double.NegativeInfinity"/> / <see cref="double.PositiveInfinity"/> where none.</summary>
    void GetBounds(Span<double> lower, Span<double> upper);

    /// <summary>Largest allowed |change| of each parameter in one step; +∞ where none.</summary>
    void GetMaxSteps(Span<double> maxSteps);

    /// <summary>Log-prior at the current parameters (0 inside bounds, −∞ outside a hard prior).
    /// Excludes the Gaussian priors of <see cref="GetGaussianPriors"/>, which the optimizer adds itself.</summary>
    double LogPrior();

    /// <summary>Number of Gaussian prior terms (docs/fitting.md §18.7): each pulls one free parameter
    /// toward a mean with a width σ. 0 (none) unless the problem declares some.</summary>
    int GaussianPriorCount => 0;

    /// <summary>
    /// The Gaussian prior terms at the current parameters: term k acts on free parameter
    /// <paramref name="parameter"/>[k] with weight <paramref name="inverseSigma"/>[k] = 1/σ and
    /// residual <paramref name="residual"/>[k] = (μ − p)/σ. The optimizer treats each as one more
    /// row of the weighted least-squares system (a "pixel" whose χ is the residual), so lnP
    /// gains −½·residual² per term and the Gauss–Newton step, the variances and the settled
    /// test all see it (the Tractor's way of adding priors to its sparse system).
    /// </summary>
    void GetGaussianPriors(Span<int> parameter, Span<double> residual, Span<double> inverseSigma) { }

    /// <summary>Renders the full model image (sky + every source) into <paramref name="model"/> (length W·H).</summary>
    void RenderModel(int image, Span<float> model);

    /// <summary>
    /// Derivative patches at the current parameters: <paramref name="perParameter"/>[j]
    /// receives the patches of parameter j (the caller passes empty lists). A parameter
    /// that influences nothing gets no patch.
    /// </summary>
    void GetDerivatives(List<DerivativePatch>[] perParameter);
}
