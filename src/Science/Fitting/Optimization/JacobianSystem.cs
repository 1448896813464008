namespace Tract7dt.Science.Fitting.Optimization;

/// <summary>
/// The weighted Jacobian J_E (tractor-core.md §6.2) of one optimizer call, stored as
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
/// </list>
/// All buffers are kept and grown, never shrunk, so rebuilding the system each
/// iteration allocates nothing once the sizes have settled.
/// </remarks>
internal sealed class JacobianSystem : ILinearOperator
{
    /// <summary>One clipped derivative patch inside an image.</summary>
    internal struct Block
    {
        public int Image;
        public int X0, Y0, Width, Height;
        /// <summary>Global row of the block's first pixel.</summary>
        public int Row0;
        /// <summary>Row stride (the image width).</summary>
        public int Stride;
        /// <summary>Index of the first value in <see cref="Values"/>.</summary>
        public int ValueOffset;
    }

    /// <summary>Entries with |val/s_j| at or below this are dropped (reference §6.2).</summary>
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

    /// <summary>Number of columns (free parameters).</summary>
    public int Columns { get; private set; }

    /// <summary>Number of rows (all pixels of all images).</summary>
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
        Rows = rows;
        Columns = nParams;
        if (_rhs.Length < rows) _rhs = new double[rows];
        if (_columnStart.Length < nParams + 1) _columnStart = new int[nParams + 1];
        if (_norm.Length < nParams)
        {
            _norm = new double[nParams];
            _scale = new double[nParams];
            _invScale = new double[nParams];
        }

        _blockCount = 0;
        _valueCount = 0;
        HasNonFinite = false;
        bool any = false;
        for (int j = 0; j < nParams; j++)
        {
            _columnStart[j] = _blockCount;
            double norm = 0;
            foreach (var patch in perParameter[j])
                norm += AddBlock(problem, patch);
            _norm[j] = norm;
            _columnStart[j + 1] = _blockCount;
            double s = Math.Sqrt(norm);
            _scale[j] = s;
            _invScale[j] = s > 0 ? 1.0 / s : 0.0;
            if (s > 0)
            {
                any = true;
                DropTiny(j, s);
            }
        }
        IsEmpty = !any;
    }

    /// <summary>Excludes column j from the products (its scale factor becomes 0) until the next build.</summary>
    public void Deactivate(int column) => _invScale[column] = 0.0;

    /// <summary>True when column j takes part in the products.</summary>
    public bool IsActive(int column) => _invScale[column] > 0.0;

    /// <summary>1/s_j (0 for an empty or deactivated column).</summary>
    public double InverseScale(int column) => _invScale[column];

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
    }

    private double AddBlock(IFitProblem problem, DerivativePatch patch)
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
        double norm = 0;
        int off = _valueCount;
        for (int y = y0; y < y1; y++)
        {
            int srcRow = (y - patch.Y0) * patch.Width - patch.X0;
            int eRow = y * w;
            int dst = off + (y - y0) * bw - x0;
            for (int x = x0; x < x1; x++)
            {
                float ev = e[eRow + x];
                float val = 0f;
                if (ev != 0f)
                {
                    val = src[srcRow + x] * ev;
                    if (!float.IsFinite(val)) HasNonFinite = true;
                    norm += (double)val * val;
                }
                _values[dst + x] = val;
            }
        }
        _blocks[_blockCount++] = new Block
        {
            Image = n, X0 = x0, Y0 = y0, Width = bw, Height = bh,
            Row0 = _rowOffset[n] + y0 * w + x0, Stride = w, ValueOffset = off,
        };
        _valueCount = need;
        return norm;
    }

    private void DropTiny(int column, double scale)
    {
        double limit = DropThreshold * scale;
        for (int b = _columnStart[column]; b < _columnStart[column + 1]; b++)
        {
            ref readonly Block blk = ref _blocks[b];
            var vals = _values.AsSpan(blk.ValueOffset, blk.Width * blk.Height);
            for (int i = 0; i < vals.Length; i++)
                if (Math.Abs((double)vals[i]) <= limit) vals[i] = 0f;
        }
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
