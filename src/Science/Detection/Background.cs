using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Detection;

/// <summary>
/// A smooth sky background and sky-noise map, estimated as Source Extractor (and SEP)
/// does: the image is cut into meshes of <c>bw × bh</c> pixels; each mesh gets a clipped
/// mode estimate of the sky and an rms (<see cref="MeshStatistics"/>); meshes with too
/// few usable pixels are filled from their nearest valid neighbours; the mesh grid is
/// median-filtered over <c>fw × fh</c> meshes; and a bicubic spline through the mesh
/// centres gives each pixel its value.
/// </summary>
/// <remarks>
/// Conventions: 0-based pixels, pixel (x, y) is element <c>[y*Width + x]</c>, x along
/// NAXIS1. Mesh (i, j) covers x ∈ [i·bw, min((i+1)·bw, W)), y ∈ [j·bh, min((j+1)·bh, H));
/// the last column/row of meshes may be smaller. Mesh grids are row-major
/// (<c>[j*MeshCountX + i]</c>). Values are in the image's units.
/// </remarks>
public sealed class Background
{
    private readonly float[] _back, _sigma;   // filtered mesh values
    private readonly float[] _dback, _dsigma; // spline second derivatives along y, per mesh column

    private Background(int width, int height, int bw, int bh, int nx, int ny,
        float[] back, float[] sigma, float globalBack, float globalRms)
    {
        Width = width; Height = height; MeshWidth = bw; MeshHeight = bh;
        MeshCountX = nx; MeshCountY = ny;
        _back = back; _sigma = sigma;
        GlobalBack = globalBack; GlobalRms = globalRms;
        _dback = ColumnDerivatives(back, nx, ny);
        _dsigma = ColumnDerivatives(sigma, nx, ny);
    }

    /// <summary>Image width in pixels (NAXIS1).</summary>
    public int Width { get; }
    /// <summary>Image height in pixels (NAXIS2).</summary>
    public int Height { get; }
    /// <summary>Mesh width bw in pixels.</summary>
    public int MeshWidth { get; }
    /// <summary>Mesh height bh in pixels.</summary>
    public int MeshHeight { get; }
    /// <summary>Number of mesh columns, (W − 1) div bw + 1.</summary>
    public int MeshCountX { get; }
    /// <summary>Number of mesh rows, (H − 1) div bh + 1.</summary>
    public int MeshCountY { get; }
    /// <summary>Median of the filtered mesh backgrounds (image units); SEP's <c>globalback</c>.</summary>
    public float GlobalBack { get; }
    /// <summary>Median of the filtered mesh rms values (image units); SEP's <c>globalrms</c>.</summary>
    public float GlobalRms { get; }
    /// <summary>Filtered mesh backgrounds, row-major <c>[j*MeshCountX + i]</c>.</summary>
    public ReadOnlySpan<float> MeshBack => _back;
    /// <summary>Filtered mesh rms values, row-major <c>[j*MeshCountX + i]</c>.</summary>
    public ReadOnlySpan<float> MeshRms => _sigma;

    /// <summary>
    /// Estimates the background of an image.
    /// </summary>
    /// <param name="data">Pixels, row-major, length width × height. NaN pixels are ignored.</param>
    /// <param name="mask">Optional (empty = none); a pixel with a non-zero byte is ignored
    /// (SEP with <c>maskthresh = 0</c>).</param>
    /// <param name="bw">Mesh width in pixels [64].</param>
    /// <param name="bh">Mesh height in pixels [64].</param>
    /// <param name="fw">Median-filter width in meshes [3]; the window is 2·(fw div 2)+1 wide, so an even fw acts as fw + 1.</param>
    /// <param name="fh">Median-filter height in meshes [3].</param>
    /// <param name="filterThreshold">A mesh takes the filtered value only where it differs from
    /// the median by at least this much (image units) [0 = always].</param>
    /// <exception cref="Tract7dtException">T7D200/T7D201 for a bad shape, T7D202 for sizes below 1.</exception>
    public static Background Compute(ReadOnlySpan<float> data, int width, int height,
        ReadOnlySpan<byte> mask = default, int bw = 64, int bh = 64, int fw = 3, int fh = 3,
        float filterThreshold = 0f)
    {
        ImageChecks.Shape(data.Length, width, height, "Background");
        ImageChecks.Optional(mask.Length, data.Length, "Background", "mask");
        if (bw < 1 || bh < 1 || fw < 1 || fh < 1)
            throw new Tract7dtException(ErrorCodes.BackgroundMeshSize,
                $"Background: mesh size {bw}×{bh} and filter size {fw}×{fh} must all be ≥ 1 (check epsf.background_boxsize / background_filtersize).");

        int nx = (width - 1) / bw + 1, ny = (height - 1) / bh + 1;
        var back = new float[nx * ny];
        var sigma = new float[nx * ny];
        var hist = new int[MeshStatistics.MaxLevels];
        for (int j = 0; j < ny; j++)
        {
            int y0 = j * bh, y1 = Math.Min(y0 + bh, height);
            for (int i = 0; i < nx; i++)
            {
                int x0 = i * bw, x1 = Math.Min(x0 + bw, width);
                MeshStatistics.Measure(data, width, mask, x0, x1, y0, y1, hist,
                    out back[j * nx + i], out sigma[j * nx + i]);
            }
        }
        FillBadMeshes(back, sigma, nx, ny);
        MedianFilter(back, sigma, nx, ny, fw, fh, filterThreshold);
        float gb = Median(back), gr = Median(sigma);
        return new Background(width, height, bw, bh, nx, ny, back, sigma, gb, gr);
    }

    /// <summary>
    /// The background of a <paramref name="width"/> × <paramref name="height"/> image from its
    /// filtered mesh values (<see cref="MeshBack"/>, <see cref="MeshRms"/>), e.g. as saved by the
    /// ePSF stage for its pictures: the maps it gives are those of the estimate the mesh came from.
    /// </summary>
    /// <exception cref="ArgumentException">The mesh arrays do not match the image and mesh sizes.</exception>
    public static Background FromMesh(int width, int height, int bw, int bh, float[] back, float[] rms)
    {
        if (width < 1 || height < 1 || bw < 1 || bh < 1)
            throw new ArgumentException($"Background.FromMesh: image {width}×{height} and mesh {bw}×{bh} must be ≥ 1");
        int nx = (width - 1) / bw + 1, ny = (height - 1) / bh + 1;
        if (back.Length != nx * ny || rms.Length != nx * ny)
            throw new ArgumentException($"Background.FromMesh: {nx}×{ny} meshes need {nx * ny} values (got {back.Length} and {rms.Length})");
        return new Background(width, height, bw, bh, nx, ny, back, rms, Median(back), Median(rms));
    }

    /// <summary>Writes the background map (image units) into <paramref name="destination"/> (length W × H).</summary>
    public void Back(Span<float> destination) => Map(_back, _dback, destination);

    /// <summary>The background map as a new array.</summary>
    public float[] Back() { var a = new float[Width * Height]; Back(a); return a; }

    /// <summary>Writes the rms (sky noise) map (image units) into <paramref name="destination"/>.</summary>
    public void Rms(Span<float> destination) => Map(_sigma, _dsigma, destination);

    /// <summary>The rms map as a new array.</summary>
    public float[] Rms() { var a = new float[Width * Height]; Rms(a); return a; }

    /// <summary>Subtracts the background map from <paramref name="data"/> in place (NaN stays NaN).</summary>
    public void SubtractFrom(Span<float> data)
    {
        if (data.Length != Width * Height)
            throw new Tract7dtException(ErrorCodes.DetectionArrayLength,
                $"Background.SubtractFrom: data holds {data.Length} values, the background was made for {Width}×{Height}.");
        var row = new float[Width];
        var n = new float[MeshCountX];
        var e = new float[MeshCountX];
        for (int y = 0; y < Height; y++)
        {
            Line(_back, _dback, y, row, n, e);
            Span<float> d = data.Slice(y * Width, Width);
            for (int x = 0; x < Width; x++) d[x] -= row[x];
        }
    }

    /// <summary>Writes one row y of the background map into <paramref name="row"/> (length W).</summary>
    public void BackLine(int y, Span<float> row) =>
        Line(_back, _dback, y, row, new float[MeshCountX], new float[MeshCountX]);

    private void Map(float[] mesh, float[] d2, Span<float> destination)
    {
        if (destination.Length != Width * Height)
            throw new Tract7dtException(ErrorCodes.DetectionArrayLength,
                $"Background: destination holds {destination.Length} values, the map needs {Width}×{Height}.");
        var n = new float[MeshCountX];
        var e = new float[MeshCountX];
        for (int y = 0; y < Height; y++)
            Line(mesh, d2, y, destination.Slice(y * Width, Width), n, e);
    }

    /// <summary>
    /// One image row of the spline surface: first the spline along y through each mesh
    /// column gives the row's node values <paramref name="nodes"/>; their second
    /// derivatives <paramref name="nodeD2"/> along x then give each pixel.
    /// </summary>
    private void Line(float[] mesh, float[] d2, int y, Span<float> row, Span<float> nodes, Span<float> nodeD2)
    {
        int nx = MeshCountX, ny = MeshCountY;
        if (ny > 1)
        {
            // Mesh centres sit at y = (j + 0.5)·bh − 0.5 in SExtractor's frame, which it
            // evaluates at y/bh − 0.5 (no half-pixel term); we keep that for agreement.
            float t = (float)y / MeshHeight - 0.5f;
            int k = (int)t;
            float d = t - k;
            if (k >= ny - 1) { k = ny - 2; d += 1f; }
            float cd = 1f - d;
            float wd0 = cd * cd * cd - cd, wd1 = d * d * d - d;
            int o0 = k * nx, o1 = (k + 1) * nx;
            for (int i = 0; i < nx; i++)
                nodes[i] = cd * mesh[o0 + i] + d * mesh[o1 + i] + wd0 * d2[o0 + i] + wd1 * d2[o1 + i];
            SecondDerivatives(nodes[..nx], nodeD2[..nx]);
        }
        else
        {
            for (int i = 0; i < nx; i++) { nodes[i] = mesh[i]; nodeD2[i] = 0f; }
        }

        int w = Width;
        if (nx == 1)
        {
            row[..w].Fill(nodes[0]);
            return;
        }
        int bw = MeshWidth;
        for (int x = 0; x < w; x++)
        {
            float u = (x + 0.5f) / bw - 0.5f;
            int k = (int)MathF.Floor(u);
            if (k < 0) k = 0; else if (k > nx - 2) k = nx - 2;
            float d = u - k, cd = 1f - d;
            row[x] = cd * (nodes[k] + (cd * cd - 1f) * nodeD2[k])
                   + d * (nodes[k + 1] + (d * d - 1f) * nodeD2[k + 1]);
        }
    }

    /// <summary>Second derivatives along y of every mesh column (row-major like the grid).</summary>
    private static float[] ColumnDerivatives(float[] mesh, int nx, int ny)
    {
        var d2 = new float[nx * ny];
        if (ny < 2) return d2;
        var col = new float[ny];
        var dcol = new float[ny];
        for (int i = 0; i < nx; i++)
        {
            for (int j = 0; j < ny; j++) col[j] = mesh[j * nx + i];
            SecondDerivatives(col, dcol);
            for (int j = 0; j < ny; j++) d2[j * nx + i] = dcol[j];
        }
        return d2;
    }

    /// <summary>
    /// SExtractor's natural-spline recurrence for second derivatives at unit spacing, in
    /// float32 as SExtractor evaluates it. It differs from the textbook tridiagonal
    /// solution by a factor in the forward sweep; we keep it so maps agree with SEP.
    /// </summary>
    internal static void SecondDerivatives(ReadOnlySpan<float> v, Span<float> d2)
    {
        int n = v.Length;
        d2[..n].Clear();
        if (n < 3) return;
        Span<float> c = n <= 256 ? stackalloc float[n] : new float[n];
        Span<float> u = n <= 256 ? stackalloc float[n] : new float[n];
        c[0] = 0f; u[0] = 0f;
        for (int k = 1; k < n - 1; k++)
        {
            c[k] = -1f / (c[k - 1] + 4f);
            u[k] = c[k] * (u[k - 1] - 6f * (v[k + 1] + v[k - 1] - 2f * v[k]));
        }
        d2[n - 1] = 0f;
        for (int k = n - 2; k > 0; k--)
            d2[k] = (c[k] * d2[k + 1] + u[k]) / 6f;
        d2[0] = 0f;
    }

    /// <summary>
    /// Gives each bad mesh (value ≤ −1e30) the average of the valid meshes at the smallest
    /// squared index distance; with no valid mesh at all, background 0 and rms 1.
    /// </summary>
    private static void FillBadMeshes(float[] back, float[] sigma, int nx, int ny)
    {
        int nb = nx * ny;
        bool anyBad = false, anyGood = false;
        for (int m = 0; m < nb; m++)
        {
            if (back[m] <= MeshStatistics.Bad) anyBad = true; else anyGood = true;
        }
        if (!anyBad) return;
        if (!anyGood)
        {
            Array.Fill(back, 0f);
            Array.Fill(sigma, 1f);
            return;
        }
        var b0 = (float[])back.Clone();
        var s0 = (float[])sigma.Clone();
        for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++)
        {
            int m = j * nx + i;
            if (b0[m] > MeshStatistics.Bad) continue;
            long best = long.MaxValue;
            double sb = 0, ss = 0; int cnt = 0;
            for (int jj = 0; jj < ny; jj++)
            for (int ii = 0; ii < nx; ii++)
            {
                int mm = jj * nx + ii;
                if (b0[mm] <= MeshStatistics.Bad) continue;
                long d = (long)(ii - i) * (ii - i) + (long)(jj - j) * (jj - j);
                if (d < best) { best = d; sb = 0; ss = 0; cnt = 0; }
                if (d == best) { sb += b0[mm]; ss += s0[mm]; cnt++; }
            }
            back[m] = (float)(sb / cnt);
            sigma[m] = (float)(ss / cnt);
        }
    }

    /// <summary>
    /// Median filter of the mesh grid over a (2p'+1)×(2q'+1) window, the half sizes
    /// p = fw div 2, q = fh div 2 shrinking symmetrically near the grid border.
    /// </summary>
    private static void MedianFilter(float[] back, float[] sigma, int nx, int ny, int fw, int fh, float fthresh)
    {
        int p = fw / 2, q = fh / 2;
        if (p == 0 && q == 0) return;
        var b0 = (float[])back.Clone();
        var s0 = (float[])sigma.Clone();
        var wb = new float[(2 * p + 1) * (2 * q + 1)];
        var ws = new float[wb.Length];
        for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++)
        {
            int pp = Math.Min(p, Math.Min(i, nx - 1 - i));
            int qq = Math.Min(q, Math.Min(j, ny - 1 - j));
            int n = 0;
            for (int jj = j - qq; jj <= j + qq; jj++)
            for (int ii = i - pp; ii <= i + pp; ii++)
            {
                wb[n] = b0[jj * nx + ii];
                ws[n] = s0[jj * nx + ii];
                n++;
            }
            float mb = Median(wb.AsSpan(0, n)), ms = Median(ws.AsSpan(0, n));
            int m = j * nx + i;
            if (MathF.Abs(mb - b0[m]) >= fthresh)
            {
                back[m] = mb;
                sigma[m] = ms;
            }
        }
    }

    /// <summary>Median of a scratch span (reordered in place); mean of the middle pair when even.</summary>
    internal static float Median(Span<float> v)
    {
        if (v.Length == 0) return float.NaN;
        v.Sort();
        int h = v.Length / 2;
        return (v.Length & 1) == 1 ? v[h] : 0.5f * (v[h - 1] + v[h]);
    }

    private static float Median(float[] a) => Median(((float[])a.Clone()).AsSpan());
}
