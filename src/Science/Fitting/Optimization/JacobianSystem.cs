using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tract7dt.Science.Fitting.Optimization;

/// <summary>
/// The weighted Jacobian J_E (docs/fitting.md §18.2) of one optimizer call, stored as
/// rectangular blocks: column j is a list of (image, clipped rectangle) blocks whose
/// values are <c>E · ∂M/∂p_j</c> in f32, exactly as the reference forms them. Rows are
/// the pixels of all images laid end to end (image n starts at <see cref="RowOffset"/>),
/// pixel (x, y) of image n being row <c>offset_n + y·W_n + x</c>.
/// </summary>
/// <remarks>
/// Differences from a general sparse matrix, all invisible in the arithmetic:
/// <list type="bullet">
/// <item>Zero values stay inside a block instead of being dropped; they add exactly 0
/// to every product. Pixels with E = 0 are written as 0 (fix #3: such pixels are
/// absent, even if the derivative or data there is NaN).</item>
/// <item>Column scaling (s_j = sqrt(c_j)) is kept as a separate factor applied in f64
/// in the products, so the stored values stay the reference's f32 numbers; scaled
/// values with |val/s_j| ≤ 1e-8 are zeroed, as the reference drops them.</item>
/// <item>Zero rows and columns at a block's edges (pixels with E = 0, values dropped as
/// tiny) are trimmed off after scaling, and a block left empty is removed: zeros add
/// exactly 0 to every product.</item>
/// </list>
/// <para>Products in one pass (<see cref="ScaleMultiplyAddTranspose"/>): each image's
/// rows are cut into bands of about <see cref="BandPixels"/> pixels, and for each band the
/// blocks that cross it are listed once per build. LSQR's "u ← f·u + A·v; Aᵀu" then runs
/// band by band: the band's slice of u and the crossing block rows stay in cache between
/// the A·v and the Aᵀu halves, so each stored value comes from memory once per LSQR
/// iteration and u is read and written once. Every u element still receives its
/// contributions in column order, as in <see cref="MultiplyAdd"/>; the Aᵀu sums run over
/// (image, band, block, row) in a fixed order. Nothing depends on the machine. The pass
/// reads a second, pass-ordered copy of the values (built once per build), so memory is
/// read strictly sequentially; the column-ordered copy serves the variances and tests.</para>
/// <para>All buffers are kept and grown (with 25 % headroom), never shrunk, so rebuilding
/// the system each iteration allocates nothing once the sizes have settled. Memory: 8 bytes
/// per stored value (two f32 copies) plus 8 bytes per row for the right-hand side.</para>
/// </remarks>
internal sealed class JacobianSystem : ILinearOperator
{
    /// <summary>One clipped derivative patch inside an image.</summary>
    internal struct Block
    {
        public int Image;
        /// <summary>The column (parameter) the block belongs to.</summary>
        public int Column;
        public int X0, Y0, Width, Height;
        /// <summary>Global row of the block's first pixel.</summary>
        public int Row0;
        /// <summary>Row stride (the image width).</summary>
        public int Stride;
        /// <summary>Index of the first value in <see cref="Values"/>.</summary>
        public int ValueOffset;
        /// <summary>
        /// Row length in the pass-order copy: <see cref="Width"/> rounded up to a multiple of 4
        /// where the image row has room (else <see cref="Width"/>), so the product kernels need
        /// no scalar tail. The copy's row starts <see cref="PadLeft"/> pixels left of X0; the
        /// extra values are +0, so u += w·0 and Σ 0·u change nothing.
        /// </summary>
        public int PadWidth;
        /// <summary>Zero columns before X0 in the pass-order copy.</summary>
        public int PadLeft;
        /// <summary>The derivative patch's own (unweighted) values, its origin and width.</summary>
        public float[] Src;
        public int SrcX0, SrcY0, SrcWidth;
        /// <summary>The patch's <see cref="DerivativePatch.Scale"/>.</summary>
        public double Scale;
        /// <summary>
        /// Index in the shared store of the value for image pixel (X0 − PadLeft, Y0) when the
        /// block's source array is shared with other blocks (see <see cref="BuildShared"/>), else −1.
        /// </summary>
        public int SharedRow0;
        /// <summary>Row stride of the block's array in the shared store.</summary>
        public int SharedStride;
    }

    /// <summary>Entries with |val/s_j| at or below this are dropped (docs/fitting.md §18.2).</summary>
    public const double DropThreshold = 1e-8;

    private Block[] _blocks = new Block[64];
    private float[] _values = new float[4096];
    private int[] _columnStart = new int[2];
    private double[] _norm = Array.Empty<double>();
    private double[] _scale = Array.Empty<double>();
    private double[] _invScale = Array.Empty<double>();
    private double[] _rhs = Array.Empty<double>();
    private int[] _rowOffset = new int[1];
    private int[] _width = Array.Empty<int>();
    private int[] _height = Array.Empty<int>();
    private int _blockCount;
    private int _valueCount;
    // Gaussian prior rows (IFitProblem.GetGaussianPriors), after every image's pixels: row
    // _pixelRows + k has the single entry _priorWeight[k] = 1/σ in column _priorColumn[k], and
    // right-hand side (μ − p)/σ. Only terms on columns with pixel derivatives are kept (a source
    // with no usable pixels keeps X = 0 and σ = ∞ rather than the prior's width).
    private int _pixelRows, _priorCount;
    private int[] _priorColumn = Array.Empty<int>();
    private double[] _priorWeight = Array.Empty<double>(), _priorResidual = Array.Empty<double>();
    private int[] _inColumn = Array.Empty<int>();
    private double[] _inWeight = Array.Empty<double>(), _inResidual = Array.Empty<double>();
    private long[] _inOrder = Array.Empty<long>();
    // True when every column's blocks are in non-decreasing image order (checked per build).
    private bool _imageOrdered;

    // Band index: band k of the whole system covers rows [_bandRow0[k], _bandRow0[k+1]) of
    // image _bandImage[k] and is crossed by blocks _bandBlocks[_bandStart[k] .. _bandStart[k+1]).
    private int[] _bandRow0 = new int[1];
    private int[] _bandImage = Array.Empty<int>();
    private int[] _bandStart = new int[1];
    private int[] _bandBlocks = Array.Empty<int>();
    // Copy of the values in pass order: for band k, each crossing block's rows inside the band,
    // one block after the other; entry q's rows start at _bandValues[_entryOffset[q]]. The
    // one-pass product then reads memory strictly sequentially (hardware prefetch works; the
    // column-ordered layout jumped between hundreds of short runs per band).
    private float[] _bandValues = Array.Empty<float>();
    private int[] _entryOffset = Array.Empty<int>();
    private int _bandCount;
    // Pass order of the bands: by first row, then image (the same rows of every image one after
    // the other), so the shared arrays of the sources on those rows stay in cache across images.
    private int[] _bandOrder = Array.Empty<int>();
    private double[] _colWeight = Array.Empty<double>();
    // E of every row (images end to end), for the shared blocks' entries E·d.
    private float[] _e = Array.Empty<float>();
    // Shared store: each derivative array used by two or more blocks, once (see BuildShared).
    private float[] _shared = Array.Empty<float>();
    private readonly Dictionary<float[], int> _sharedAt = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<float[], int> _uses = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Target pixels per band of the one-pass products: 4096 f64 = 32 KiB of u (an L1-sized
    /// slice); the band's block values (a few times that) stay in L2 between the two halves.
    /// </summary>
    internal const int BandPixels = 4096;

    /// <summary>Number of columns (free parameters).</summary>
    public int Columns { get; private set; }

    /// <summary>Number of rows (all pixels of all images, then one per Gaussian prior term).</summary>
    public int Rows { get; private set; }

    /// <summary>True when some weighted derivative value was NaN or ±∞ at a pixel with E &gt; 0.</summary>
    public bool HasNonFinite { get; private set; }

    /// <summary>True when no column has a non-zero value.</summary>
    public bool IsEmpty { get; private set; }

    /// <summary>c_j = Σ (E·∂M/∂p_j)², the diagonal of JᵀWJ, accumulated in f64.</summary>
    public ReadOnlySpan<double> ColumnNormSquared => _norm.AsSpan(0, Columns);

    /// <summary>The right-hand side b (χ of every pixel, f32 values widened), length <see cref="Rows"/>.</summary>
    public Span<double> Rhs => _rhs.AsSpan(0, Rows);

    public int RowOffset(int image) => _rowOffset[image];

    internal ReadOnlySpan<Block> ColumnBlocks(int column) =>
        _blocks.AsSpan(_columnStart[column], _columnStart[column + 1] - _columnStart[column]);

    internal ReadOnlySpan<float> Values => _values.AsSpan(0, _valueCount);

    /// <summary>
    /// Builds the system from the problem's image geometry and derivative patches.
    /// Patches are clipped to their image; values are <c>patch · E</c> in f32.
    /// </summary>
    public void Build(IFitProblem problem, List<DerivativePatch>[] perParameter)
    {
        int nImages = problem.ImageCount;
        int nParams = perParameter.Length;
        EnsureImages(nImages);
        int rows = 0;
        for (int n = 0; n < nImages; n++)
        {
            _width[n] = problem.ImageWidth(n);
            _height[n] = problem.ImageHeight(n);
            _rowOffset[n] = rows;
            rows = checked(rows + _width[n] * _height[n]);
        }
        _rowOffset[nImages] = rows;
        _pixelRows = rows;
        Columns = nParams;
        int nPrior = problem.GaussianPriorCount;
        if (_inColumn.Length < nPrior)
        {
            _inColumn = new int[nPrior]; _inWeight = new double[nPrior]; _inResidual = new double[nPrior];
            _priorColumn = new int[nPrior]; _priorWeight = new double[nPrior]; _priorResidual = new double[nPrior];
        }
        if (nPrior > 0)
        {
            problem.GetGaussianPriors(_inColumn.AsSpan(0, nPrior), _inResidual.AsSpan(0, nPrior), _inWeight.AsSpan(0, nPrior));
            // Column order, so the column loop below takes each column's terms with one cursor (no scan per column).
            // Sorted by (column, index): the rows' order, and with it every sum, does not depend on the sort.
            if (_inOrder.Length < nPrior) _inOrder = new long[nPrior];
            for (int k = 0; k < nPrior; k++) _inOrder[k] = ((long)_inColumn[k] << 32) | (uint)k;
            Array.Sort(_inOrder, 0, nPrior);
        }
        if (_rhs.Length < rows + nPrior) _rhs = new double[rows + nPrior];
        if (_e.Length < rows) _e = new float[rows];
        for (int n = 0; n < nImages; n++)
            problem.InverseError(n).Slice(0, _width[n] * _height[n]).CopyTo(_e.AsSpan(_rowOffset[n]));
        if (_columnStart.Length < nParams + 1) _columnStart = new int[nParams + 1];
        if (_norm.Length < nParams)
        {
            _norm = new double[nParams];
            _scale = new double[nParams];
            _invScale = new double[nParams];
            _colWeight = new double[nParams];
        }

        // Size the value buffer once (clipped patch areas) instead of growing it by doubling.
        long need = 0, blocks = 0;
        foreach (var list in perParameter)
            foreach (var patch in list)
            {
                int w = _width[patch.Image], h = _height[patch.Image];
                long cw = Math.Min(patch.X0 + patch.Width, w) - Math.Max(patch.X0, 0);
                long ch = Math.Min(patch.Y0 + patch.Height, h) - Math.Max(patch.Y0, 0);
                if (cw > 0 && ch > 0) { need += cw * ch; blocks++; }
            }
        if (need > Array.MaxLength)
            throw new Errors.Tract7dtException(Errors.ErrorCodes.FitProblemShape,
                $"Fit problem: {need} derivative values exceed one array; split the patch into smaller patches.");
        // 25 % headroom: galaxy patch sizes drift between steps, and an exact fit would
        // reallocate on every small growth.
        if (_values.Length < need) _values = new float[Grow(need)];
        if (_blocks.Length < blocks) _blocks = new Block[Grow(blocks)];

        _blockCount = 0;
        _valueCount = 0;
        HasNonFinite = false;
        bool any = false;
        _priorCount = 0;
        int cursor = 0;
        for (int j = 0; j < nParams; j++)
        {
            _columnStart[j] = _blockCount;
            int firstValue = _valueCount;
            double norm = 0;
            foreach (var patch in perParameter[j])
                norm += AddBlock(problem, patch, j);
            while (cursor < nPrior && (int)(_inOrder[cursor] >> 32) < j) cursor++;
            for (; cursor < nPrior && (int)(_inOrder[cursor] >> 32) == j; cursor++)
                if (norm > 0)
                {
                    int k = (int)(_inOrder[cursor] & 0xffffffff);
                    double wk = _inWeight[k];
                    _priorColumn[_priorCount] = j;
                    _priorWeight[_priorCount] = wk;
                    _priorResidual[_priorCount] = _inResidual[k];
                    _priorCount++;
                    norm += wk * wk;
                }
            _norm[j] = norm;
            double s = Math.Sqrt(norm);
            _scale[j] = s;
            _invScale[j] = s > 0 ? 1.0 / s : 0.0;
            if (s > 0) any = true;
            DropTinyAndTrim(j, s, firstValue);
            _columnStart[j + 1] = _blockCount;
        }
        IsEmpty = !any;
        Rows = _pixelRows + _priorCount;
        for (int k = 0; k < _priorCount; k++) _rhs[_pixelRows + k] = _priorResidual[k];
        _imageOrdered = true;
        for (int j = 0; j < nParams && _imageOrdered; j++)
            for (int b = _columnStart[j] + 1; b < _columnStart[j + 1]; b++)
                if (_blocks[b].Image < _blocks[b - 1].Image) { _imageOrdered = false; break; }
        BuildBands(nImages);
    }

    /// <summary>Excludes column j from the products (its scale factor becomes 0) until the next build.</summary>
    public void Deactivate(int column) => _invScale[column] = 0.0;

    /// <summary>True when column j takes part in the products.</summary>
    public bool IsActive(int column) => _invScale[column] > 0.0;

    /// <summary>1/s_j (0 for an empty or deactivated column).</summary>
    public double InverseScale(int column) => _invScale[column];

    /// <summary>
    /// F_jk = Σ (E·∂M/∂p_j)(E·∂M/∂p_k) over the pixels where the two columns' blocks overlap
    /// (the unscaled Gram / Fisher entry, f64 sums of the stored f32 values).
    /// </summary>
    public double Gram(int j, int k)
    {
        if (j == k) return _norm[j];
        double s = 0;
        var values = _values;
        int kStart = _columnStart[k], kEnd = _columnStart[k + 1];
        for (int ba = _columnStart[j]; ba < _columnStart[j + 1]; ba++)
        {
            ref readonly Block a = ref _blocks[ba];
            // A column's blocks come in image order (the model hands its patches over image by
            // image), so k's blocks before a.Image are skipped for good: a merge over images,
            // not every pair (40 bands: 40 rather than 1600 block pairs per column pair).
            if (_imageOrdered)
                while (kStart < kEnd && _blocks[kStart].Image < a.Image) kStart++;
            for (int bb = kStart; bb < kEnd; bb++)
            {
                ref readonly Block b = ref _blocks[bb];
                if (_imageOrdered && b.Image > a.Image) break;
                if (a.Image != b.Image) continue;
                int x0 = Math.Max(a.X0, b.X0), x1 = Math.Min(a.X0 + a.Width, b.X0 + b.Width);
                int y0 = Math.Max(a.Y0, b.Y0), y1 = Math.Min(a.Y0 + a.Height, b.Y0 + b.Height);
                if (x1 <= x0) continue;
                for (int y = y0; y < y1; y++)
                {
                    var ra = values.AsSpan(a.ValueOffset + (y - a.Y0) * a.Width + (x0 - a.X0), x1 - x0);
                    var rb = values.AsSpan(b.ValueOffset + (y - b.Y0) * b.Width + (x0 - b.X0), x1 - x0);
                    s += VectorKernels.DotF32(ra, rb);
                }
            }
        }
        return s;
    }

    /// <summary>The Gram entry of the column-scaled system, F_jk/(s_j s_k) (0 for inactive columns).</summary>
    public double ScaledGram(int j, int k) => Gram(j, k) * _invScale[j] * _invScale[k];

    /// <summary>u += A·v, with A the column-scaled matrix (entries val/s_j).</summary>
    public void MultiplyAdd(ReadOnlySpan<double> v, Span<double> u)
    {
        var values = _values;
        for (int j = 0; j < Columns; j++)
        {
            double w = v[j] * _invScale[j];
            if (w == 0.0) continue;
            for (int b = _columnStart[j]; b < _columnStart[j + 1]; b++)
            {
                ref readonly Block blk = ref _blocks[b];
                for (int r = 0; r < blk.Height; r++)
                {
                    var src = values.AsSpan(blk.ValueOffset + r * blk.Width, blk.Width);
                    var dst = u.Slice(blk.Row0 + r * blk.Stride, blk.Width);
                    VectorKernels.AxpyWiden(w, src, dst);
                }
            }
        }
        for (int k = 0; k < _priorCount; k++)
            u[_pixelRows + k] += v[_priorColumn[k]] * _invScale[_priorColumn[k]] * _priorWeight[k];
    }

    /// <summary>x += Aᵀ·u, with A the column-scaled matrix.</summary>
    public void MultiplyTransposeAdd(ReadOnlySpan<double> u, Span<double> x)
    {
        var values = _values;
        for (int j = 0; j < Columns; j++)
        {
            double inv = _invScale[j];
            if (inv == 0.0) continue;
            double acc = 0;
            for (int b = _columnStart[j]; b < _columnStart[j + 1]; b++)
            {
                ref readonly Block blk = ref _blocks[b];
                for (int r = 0; r < blk.Height; r++)
                {
                    var src = values.AsSpan(blk.ValueOffset + r * blk.Width, blk.Width);
                    var uu = u.Slice(blk.Row0 + r * blk.Stride, blk.Width);
                    acc += VectorKernels.DotWiden(src, uu);
                }
            }
            x[j] += acc * inv;
        }
        for (int k = 0; k < _priorCount; k++)
        {
            int j = _priorColumn[k];
            x[j] += u[_pixelRows + k] * _priorWeight[k] * _invScale[j];
        }
    }

    private double AddBlock(IFitProblem problem, DerivativePatch patch, int column)
    {
        int n = patch.Image;
        int w = _width[n], h = _height[n];
        int x0 = Math.Max(patch.X0, 0), y0 = Math.Max(patch.Y0, 0);
        int x1 = Math.Min(patch.X0 + patch.Width, w), y1 = Math.Min(patch.Y0 + patch.Height, h);
        if (x1 <= x0 || y1 <= y0) return 0.0;
        int bw = x1 - x0, bh = y1 - y0;
        int need = _valueCount + bw * bh;
        if (_values.Length < need) Array.Resize(ref _values, Math.Max(need, _values.Length * 2));
        if (_blocks.Length <= _blockCount) Array.Resize(ref _blocks, _blocks.Length * 2);

        ReadOnlySpan<float> e = problem.InverseError(n);
        float[] src = patch.Values;
        if (src.Length < patch.Width * patch.Height)
            throw new ArgumentException($"Derivative patch of image {n} has {src.Length} values for {patch.Width}×{patch.Height}.");
        double norm = 0;
        bool nonFinite = false;
        int off = _valueCount;
        for (int y = y0; y < y1; y++)
        {
            norm += patch.Scale == 1.0
                ? VectorKernels.WeightRow(src.AsSpan((y - patch.Y0) * patch.Width + (x0 - patch.X0), bw),
                    e.Slice(y * w + x0, bw), _values.AsSpan(off + (y - y0) * bw, bw), ref nonFinite)
                : VectorKernels.WeightRowScaled(src.AsSpan((y - patch.Y0) * patch.Width + (x0 - patch.X0), bw), patch.Scale,
                    e.Slice(y * w + x0, bw), _values.AsSpan(off + (y - y0) * bw, bw), ref nonFinite);
        }
        if (nonFinite) HasNonFinite = true;
        _blocks[_blockCount++] = new Block
        {
            Image = n, Column = column, X0 = x0, Y0 = y0, Width = bw, Height = bh,
            Row0 = _rowOffset[n] + y0 * w + x0, Stride = w, ValueOffset = off,
            Src = src, SrcX0 = patch.X0, SrcY0 = patch.Y0, SrcWidth = patch.Width, Scale = patch.Scale, SharedRow0 = -1,
        };
        _valueCount = need;
        return norm;
    }

    /// <summary>
    /// Zeroes the scaled values |val/s| ≤ 1e-8 of the column's blocks (the reference drops
    /// them), then trims each block to the bounding box of its non-zero values and compacts
    /// the column's values and blocks in place (every block only moves towards the front).
    /// </summary>
    private void DropTinyAndTrim(int column, double scale, int firstValue)
    {
        // |val/s| ≤ 1e-8 ⇔ (double)|val| ≤ 1e-8·s; as a float test: |val| ≤ the largest
        // float not above that limit (float → double is exact and monotone).
        double limit = DropThreshold * scale;
        float flim = (float)limit;
        if (flim > limit) flim = MathF.BitDecrement(flim);
        int writeBlock = _columnStart[column];
        int writeValue = firstValue;
        for (int b = _columnStart[column]; b < _blockCount; b++)
        {
            Block blk = _blocks[b];
            var vals = _values.AsSpan(blk.ValueOffset, blk.Width * blk.Height);
            int minX = blk.Width, maxX = -1, minY = blk.Height, maxY = -1;
            for (int r = 0; r < blk.Height; r++)
            {
                var row = vals.Slice(r * blk.Width, blk.Width);
                VectorKernels.ZeroSmall(row, flim);
                // Every zero is now +0, so "non-zero" is "bit pattern ≠ 0".
                var bits = MemoryMarshal.Cast<float, int>(row);
                int first = bits.IndexOfAnyExcept(0);
                if (first < 0) continue;
                int last = bits.LastIndexOfAnyExcept(0);
                if (first < minX) minX = first;
                if (last > maxX) maxX = last;
                if (r < minY) minY = r;
                maxY = r;
            }
            if (maxX < 0) continue; // all zero: the block adds nothing anywhere
            int tw = maxX - minX + 1, th = maxY - minY + 1;
            for (int r = 0; r < th; r++)
                vals.Slice((minY + r) * blk.Width + minX, tw).CopyTo(_values.AsSpan(writeValue + r * tw, tw));
            blk.Row0 += minY * blk.Stride + minX;
            blk.X0 += minX;
            blk.Y0 += minY;
            blk.Width = tw;
            blk.Height = th;
            blk.ValueOffset = writeValue;
            _blocks[writeBlock++] = blk;
            writeValue += tw * th;
        }
        _blockCount = writeBlock;
        _valueCount = writeValue;
    }

    /// <summary>Cuts every image into row bands and lists, per band, the blocks crossing it (in column order).</summary>
    private void BuildBands(int nImages)
    {
        int bands = 0;
        for (int n = 0; n < nImages; n++)
            if (_width[n] > 0 && _height[n] > 0) bands += CeilDiv(_height[n], BandRows(n));
        if (_bandImage.Length < bands) _bandImage = new int[bands];
        if (_bandRow0.Length < bands + 1) _bandRow0 = new int[bands + 1];
        if (_bandStart.Length < bands + 1) _bandStart = new int[bands + 1];

        // Band k of image n starts at _firstBand[n] + y / rows.
        int k = 0;
        Span<int> firstBand = nImages <= 256 ? stackalloc int[nImages] : new int[nImages];
        for (int n = 0; n < nImages; n++)
        {
            firstBand[n] = k;
            if (_width[n] <= 0 || _height[n] <= 0) continue;
            int rows = BandRows(n);
            for (int y = 0; y < _height[n]; y += rows)
            {
                _bandImage[k] = n;
                _bandRow0[k] = y;
                k++;
            }
        }
        _bandCount = bands;
        if (_bandOrder.Length < bands) _bandOrder = new int[bands];
        for (int q = 0; q < bands; q++) _bandOrder[q] = q;
        var row0 = _bandRow0;
        var img = _bandImage;
        Array.Sort(_bandOrder, 0, bands, Comparer<int>.Create((a, b) =>
            row0[a] != row0[b] ? row0[a].CompareTo(row0[b]) : img[a].CompareTo(img[b])));

        // Counting sort of (band, block) pairs by band; blocks are visited in column order,
        // so each band's list is in column order.
        Array.Clear(_bandStart, 0, bands + 1);
        for (int b = 0; b < _blockCount; b++)
        {
            ref readonly Block blk = ref _blocks[b];
            int rows = BandRows(blk.Image);
            int k0 = firstBand[blk.Image] + blk.Y0 / rows, k1 = firstBand[blk.Image] + (blk.Y0 + blk.Height - 1) / rows;
            for (int q = k0; q <= k1; q++) _bandStart[q + 1]++;
        }
        for (int q = 0; q < bands; q++) _bandStart[q + 1] += _bandStart[q];
        int total = _bandStart[bands];
        if (_bandBlocks.Length < total) _bandBlocks = new int[Grow(total)];
        Span<int> fill = bands <= 4096 ? stackalloc int[bands] : new int[bands];
        _bandStart.AsSpan(0, bands).CopyTo(fill);
        for (int b = 0; b < _blockCount; b++)
        {
            ref readonly Block blk = ref _blocks[b];
            int rows = BandRows(blk.Image);
            int k0 = firstBand[blk.Image] + blk.Y0 / rows, k1 = firstBand[blk.Image] + (blk.Y0 + blk.Height - 1) / rows;
            for (int q = k0; q <= k1; q++) _bandBlocks[fill[q]++] = b;
        }

        // Row padding of the pass-order copy (see Block.PadWidth): the padded row stays inside
        // its image row, extending right first, then left.
        long padded = 0;
        for (int b = 0; b < _blockCount; b++)
        {
            ref Block blk = ref _blocks[b];
            int pw = (blk.Width + 3) & ~3;
            int imgW = _width[blk.Image];
            if (pw > imgW) pw = blk.Width;
            int right = Math.Min(pw - blk.Width, imgW - (blk.X0 + blk.Width));
            blk.PadWidth = pw;
            blk.PadLeft = pw - blk.Width - right;
        }
        BuildShared();
        for (int b = 0; b < _blockCount; b++)
            if (_blocks[b].SharedRow0 < 0) padded += (long)_blocks[b].PadWidth * _blocks[b].Height;
        if (padded > Array.MaxLength)
            throw new Errors.Tract7dtException(Errors.ErrorCodes.FitProblemShape,
                $"Fit problem: {padded} derivative values exceed one array; split the patch into smaller patches.");

        // Pass-order copy of the values (every stored value appears exactly once, plus the zero padding).
        if (_entryOffset.Length < total) _entryOffset = new int[Grow(total)];
        if (_bandValues.Length < padded) _bandValues = new float[Grow(padded)];
        int at = 0;
        for (int qq = 0; qq < bands; qq++)
        {
            int q = _bandOrder[qq];
            int n = _bandImage[q];
            int y0 = _bandRow0[q], y1 = Math.Min(_height[n], y0 + BandRows(n));
            for (int e = _bandStart[q]; e < _bandStart[q + 1]; e++)
            {
                ref readonly Block blk = ref _blocks[_bandBlocks[e]];
                int r0 = Math.Max(y0, blk.Y0) - blk.Y0, r1 = Math.Min(y1, blk.Y0 + blk.Height) - blk.Y0;
                _entryOffset[e] = at;
                if (blk.SharedRow0 >= 0)
                {
                    _entryOffset[e] = blk.SharedRow0 + r0 * blk.SharedStride;
                    continue;
                }
                if (blk.PadWidth == blk.Width)
                {
                    int len = (r1 - r0) * blk.Width;
                    _values.AsSpan(blk.ValueOffset + r0 * blk.Width, len).CopyTo(_bandValues.AsSpan(at, len));
                    at += len;
                    continue;
                }
                for (int r = r0; r < r1; r++, at += blk.PadWidth)
                {
                    var row = _bandValues.AsSpan(at, blk.PadWidth);
                    row.Clear();
                    _values.AsSpan(blk.ValueOffset + r * blk.Width, blk.Width).CopyTo(row.Slice(blk.PadLeft));
                }
            }
        }
    }

    /// <summary>
    /// Bands that share a PSF hand over one derivative array for all their images, each image
    /// with its own <see cref="DerivativePatch.Scale"/> (the band's flux). Such an array is kept
    /// once, unweighted, in the shared store, and the products form each entry as
    /// Scale·(E·d) on the fly: for a 40-band patch that is 1/40 of the values to stream per
    /// LSQR iteration. An array is shared when <see cref="SharedMinUses"/> or more blocks use it and all its values
    /// are finite (a NaN or ∞ at a pixel with E = 0 must stay absent, which E·d would not).
    /// Differences from the private path: the stored value is E·d, not E·(f32)(Scale·d), and
    /// entries with |val/s_j| ≤ 1e-8 are kept (they change a product by less than 1e-8 of the
    /// column's scale, which LSQR cannot see).
    /// </summary>
    /// <remarks>Store rows are 4 zeros, the patch row, and zeros to a multiple of 4 plus 4, so a
    /// block padded by up to 3 columns on either side (<see cref="Block.PadWidth"/>) reads inside
    /// its own row.</remarks>
    private void BuildShared()
    {
        _uses.Clear();
        _sharedAt.Clear();
        for (int b = 0; b < _blockCount; b++)
        {
            ref Block blk = ref _blocks[b];
            blk.SharedRow0 = -1;
            if (!double.IsFinite(blk.Scale)) continue;
            _uses[blk.Src] = _uses.GetValueOrDefault(blk.Src) + 1;
        }
        long size = 0;
        for (int b = 0; b < _blockCount; b++)
        {
            ref Block blk = ref _blocks[b];
            if (!double.IsFinite(blk.Scale) || _uses[blk.Src] < SharedMinUses || _sharedAt.ContainsKey(blk.Src)) continue;
            int h = blk.Src.Length / Math.Max(1, blk.SrcWidth);
            if (!AllFinite(blk.Src.AsSpan(0, blk.SrcWidth * h))) { _uses[blk.Src] = 0; continue; }
            _sharedAt[blk.Src] = (int)size;
            size += (long)SharedStride(blk.SrcWidth) * h;
        }
        if (size > Array.MaxLength)
            throw new Errors.Tract7dtException(Errors.ErrorCodes.FitProblemShape,
                $"Fit problem: {size} shared derivative values exceed one array; split the patch into smaller patches.");
        if (_shared.Length < size) _shared = new float[Grow(size)];
        foreach (var (src, at) in _sharedAt)
        {
            int w = 0;
            for (int b = 0; b < _blockCount && w == 0; b++) if (ReferenceEquals(_blocks[b].Src, src)) w = _blocks[b].SrcWidth;
            int stride = SharedStride(w), h = src.Length / w;
            for (int r = 0; r < h; r++)
            {
                var row = _shared.AsSpan(at + r * stride, stride);
                row.Clear();
                src.AsSpan(r * w, w).CopyTo(row.Slice(4));
            }
        }
        for (int b = 0; b < _blockCount; b++)
        {
            ref Block blk = ref _blocks[b];
            if (!_sharedAt.TryGetValue(blk.Src, out int at)) continue;
            blk.SharedStride = SharedStride(blk.SrcWidth);
            blk.SharedRow0 = at + (blk.Y0 - blk.SrcY0) * blk.SharedStride + 4 + (blk.X0 - blk.PadLeft - blk.SrcX0);
        }
    }

    /// <summary>
    /// Fewest blocks that must use one array before it is kept shared: forming E·d on the fly
    /// costs more per entry than streaming a stored value (fit-kernels: 0.77 against 0.62 ms per
    /// LSQR iteration at 5 bands), and pays only when the stream it saves is long (7.7 against
    /// 8.5 ms at 40 bands, where the stored values no longer fit in cache).
    /// </summary>
    internal const int SharedMinUses = 8;

    /// <summary>Blocks whose values the products read from the shared store (diagnostics and tests).</summary>
    internal int SharedBlockCount
    {
        get
        {
            int c = 0;
            for (int b = 0; b < _blockCount; b++) if (_blocks[b].SharedRow0 >= 0) c++;
            return c;
        }
    }

    private static int SharedStride(int width) => ((width + 3) & ~3) + 8;

    private static bool AllFinite(ReadOnlySpan<float> a)
    {
        foreach (float v in a) if (!float.IsFinite(v)) return false;
        return true;
    }

    private int BandRows(int image) => Math.Max(1, BandPixels / Math.Max(1, _width[image]));

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;

    private static int Grow(long need) => (int)Math.Min(Array.MaxLength, need + need / 4);

    /// <summary>
    /// u ← f·u + A·v, then <paramref name="atu"/> ← Aᵀu, in one band-by-band pass (see the
    /// type's remarks); returns ‖u‖² of the new u, summed band by band in row order.
    /// </summary>
    public double ScaleMultiplyAddTranspose(double f, ReadOnlySpan<double> v, Span<double> u, Span<double> atu)
    {
        int nc = Columns;
        var weight = _colWeight.AsSpan(0, nc);
        for (int j = 0; j < nc; j++) weight[j] = v[j] * _invScale[j];
        atu.Slice(0, nc).Clear();
        // Bounds were validated when the blocks were built (each lies inside its image's
        // rows); the inner loops use refs to skip per-row slicing.
        if (u.Length < Rows || v.Length < nc || atu.Length < nc)
            throw new ArgumentException("ScaleMultiplyAddTranspose: vector lengths do not match the system.");
        ref float val0 = ref MemoryMarshal.GetArrayDataReference(_bandValues);
        ref float sh0 = ref MemoryMarshal.GetArrayDataReference(_shared);
        ref float ie0 = ref MemoryMarshal.GetArrayDataReference(_e);
        ref double u0 = ref MemoryMarshal.GetReference(u);
        double uu = 0;
        for (int kk = 0; kk < _bandCount; kk++)
        {
            int k = _bandOrder[kk];
            int n = _bandImage[k];
            int w = _width[n];
            int y0 = _bandRow0[k], y1 = Math.Min(_height[n], y0 + BandRows(n));
            var seg = u.Slice(_rowOffset[n] + y0 * w, (y1 - y0) * w);
            VectorKernels.Scale(seg, f);
            int e0 = _bandStart[k], e1 = _bandStart[k + 1];

            // A·v: the band's slice of u gets each crossing block's rows, in column order.
            for (int e = e0; e < e1; e++)
            {
                ref readonly Block blk = ref _blocks[_bandBlocks[e]];
                double wj = weight[blk.Column];
                if (wj == 0.0) continue;
                int r0 = Math.Max(y0, blk.Y0) - blk.Y0, r1 = Math.Min(y1, blk.Y0 + blk.Height) - blk.Y0;
                int row = blk.Row0 - blk.PadLeft + r0 * blk.Stride;
                if (blk.SharedRow0 >= 0)
                    VectorKernels.AxpyWidenRows<VectorKernels.TimesInverseError>(wj * blk.Scale, ref Unsafe.Add(ref sh0, _entryOffset[e]), blk.SharedStride,
                        ref Unsafe.Add(ref ie0, row), ref Unsafe.Add(ref u0, row), blk.PadWidth, r1 - r0, blk.Stride);
                else
                    VectorKernels.AxpyWidenRows<VectorKernels.Stored>(wj, ref Unsafe.Add(ref val0, _entryOffset[e]), blk.PadWidth,
                        ref ie0, ref Unsafe.Add(ref u0, row), blk.PadWidth, r1 - r0, blk.Stride);
            }
            uu += VectorKernels.SumSquares(seg);

            // Aᵀu over the same (now final) slice, while it and the block rows are in cache.
            // Per block and band: 8 lane sums over all its rows (VectorKernels.DotWidenRows), reduced once.
            for (int e = e0; e < e1; e++)
            {
                ref readonly Block blk = ref _blocks[_bandBlocks[e]];
                if (_invScale[blk.Column] == 0.0) continue;
                int r0 = Math.Max(y0, blk.Y0) - blk.Y0, r1 = Math.Min(y1, blk.Y0 + blk.Height) - blk.Y0;
                int row = blk.Row0 - blk.PadLeft + r0 * blk.Stride;
                atu[blk.Column] += blk.SharedRow0 >= 0
                    ? blk.Scale * VectorKernels.DotWidenRows<VectorKernels.TimesInverseError>(ref Unsafe.Add(ref sh0, _entryOffset[e]), blk.SharedStride,
                        ref Unsafe.Add(ref ie0, row), ref Unsafe.Add(ref u0, row), blk.PadWidth, r1 - r0, blk.Stride)
                    : VectorKernels.DotWidenRows<VectorKernels.Stored>(ref Unsafe.Add(ref val0, _entryOffset[e]), blk.PadWidth,
                        ref ie0, ref Unsafe.Add(ref u0, row), blk.PadWidth, r1 - r0, blk.Stride);
            }
        }
        // The prior rows: one entry each, after the pixels.
        for (int k = 0; k < _priorCount; k++)
        {
            int j = _priorColumn[k];
            ref double ur = ref u[_pixelRows + k];
            ur = f * ur + weight[j] * _priorWeight[k];
            uu += ur * ur;
            atu[j] += _priorWeight[k] * ur;
        }
        for (int j = 0; j < nc; j++) atu[j] *= _invScale[j];
        return uu;
    }

    private void EnsureImages(int n)
    {
        if (_width.Length < n)
        {
            _width = new int[n];
            _height = new int[n];
        }
        if (_rowOffset.Length < n + 1) _rowOffset = new int[n + 1];
    }
}
