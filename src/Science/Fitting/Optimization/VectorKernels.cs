using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tract7dt.Science.Fitting.Optimization;

/// <summary>
/// The inner loops of the sparse products and of LSQR's vector updates: f32 matrix values
/// against f64 vectors. Always 4 doubles per lane group (Vector256, emulated where the CPU
/// lacks AVX), so the summation order — and with it every bit of the result — is the same
/// on every machine.
/// </summary>
internal static class VectorKernels
{
    /// <summary>4 floats to 4 doubles (exact): one vcvtps2pd on AVX, lane-wise elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Widen(Vector128<float> f) =>
        Avx.IsSupported ? Avx.ConvertToVector256Double(f) : Vector256.Create(Vector128.WidenLower(f), Vector128.WidenUpper(f));

    /// <summary>dst[i] += w · (double)src[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AxpyWiden(double w, ReadOnlySpan<float> src, Span<double> dst)
    {
        int n = src.Length;
        int i = 0;
        if (n >= 4)
        {
            ref float s = ref MemoryMarshal.GetReference(src);
            ref double d = ref MemoryMarshal.GetReference(dst);
            var wv = Vector256.Create(w);
            for (; i <= n - 4; i += 4)
            {
                var f = Vector128.LoadUnsafe(ref s, (nuint)i);
                var x = Widen(f);
                var y = Vector256.LoadUnsafe(ref d, (nuint)i);
                (y + x * wv).StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < n; i++) dst[i] += w * src[i];
    }

    /// <summary>Σ (double)a[i] · (double)b[i] in a fixed order (4 lanes of f64 partial sums, then the tail).</summary>
    public static double DotF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = a.Length, i = 0;
        double acc = 0;
        if (n >= 4)
        {
            ref float pa = ref MemoryMarshal.GetReference(a);
            ref float pb = ref MemoryMarshal.GetReference(b);
            var sum = Vector256<double>.Zero;
            for (; i <= n - 4; i += 4)
                sum += Widen(Vector128.LoadUnsafe(ref pa, (nuint)i)) * Widen(Vector128.LoadUnsafe(ref pb, (nuint)i));
            acc = (sum[0] + sum[1]) + (sum[2] + sum[3]);
        }
        for (; i < n; i++) acc += (double)a[i] * b[i];
        return acc;
    }

    /// <summary>Σ (double)a[i] · b[i], in a fixed order (4 partial sums, then the tail).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double DotWiden(ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        int n = a.Length;
        int i = 0;
        double acc = 0;
        if (n >= 4)
        {
            ref float s = ref MemoryMarshal.GetReference(a);
            ref double d = ref MemoryMarshal.GetReference(b);
            var sum = Vector256<double>.Zero;
            for (; i <= n - 4; i += 4)
            {
                var f = Vector128.LoadUnsafe(ref s, (nuint)i);
                var x = Widen(f);
                sum += x * Vector256.LoadUnsafe(ref d, (nuint)i);
            }
            acc = (sum[0] + sum[1]) + (sum[2] + sum[3]);
        }
        for (; i < n; i++) acc += a[i] * b[i];
        return acc;
    }

    /// <summary>
    /// Adds Σ (double)a[i]·b[i] over n elements into running partial sums: elements 8k..8k+3
    /// go to the lanes of <paramref name="sum0"/>, 8k+4..8k+7 to <paramref name="sum1"/> (two
    /// independent chains, so the adds do not wait on each other), a last group of 4 to
    /// <paramref name="sum0"/>, the n mod 4 tail to <paramref name="tail"/>. Lets a caller sum
    /// several short rows with one final reduction, in an order fixed by the row lengths alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DotWidenAccumulate(ref float a, ref double b, int n,
        ref Vector256<double> sum0, ref Vector256<double> sum1, ref double tail)
    {
        int i = 0;
        var s0 = sum0;
        var s1 = sum1;
        for (; i <= n - 8; i += 8)
        {
            s0 += Widen(Vector128.LoadUnsafe(ref a, (nuint)i)) * Vector256.LoadUnsafe(ref b, (nuint)i);
            s1 += Widen(Vector128.LoadUnsafe(ref a, (nuint)(i + 4))) * Vector256.LoadUnsafe(ref b, (nuint)(i + 4));
        }
        if (i <= n - 4)
        {
            s0 += Widen(Vector128.LoadUnsafe(ref a, (nuint)i)) * Vector256.LoadUnsafe(ref b, (nuint)i);
            i += 4;
        }
        sum0 = s0;
        sum1 = s1;
        double t = tail;
        for (; i < n; i++) t += Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
        tail = t;
    }

    /// <summary>dst[i] += w · (double)src[i] over n elements (ref form of <see cref="AxpyWiden(double, ReadOnlySpan{float}, Span{double})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AxpyWiden(double w, ref float src, ref double dst, int n)
    {
        int i = 0;
        var wv = Vector256.Create(w);
        for (; i <= n - 8; i += 8)
        {
            var y0 = Vector256.LoadUnsafe(ref dst, (nuint)i) + Widen(Vector128.LoadUnsafe(ref src, (nuint)i)) * wv;
            var y1 = Vector256.LoadUnsafe(ref dst, (nuint)(i + 4)) + Widen(Vector128.LoadUnsafe(ref src, (nuint)(i + 4))) * wv;
            y0.StoreUnsafe(ref dst, (nuint)i);
            y1.StoreUnsafe(ref dst, (nuint)(i + 4));
        }
        if (i <= n - 4)
        {
            (Vector256.LoadUnsafe(ref dst, (nuint)i) + Widen(Vector128.LoadUnsafe(ref src, (nuint)i)) * wv).StoreUnsafe(ref dst, (nuint)i);
            i += 4;
        }
        for (; i < n; i++) Unsafe.Add(ref dst, i) += w * Unsafe.Add(ref src, i);
    }

    /// <summary>How the product kernels turn a stored f32 value into a matrix entry.</summary>
    internal interface IEntryWeight
    {
        static abstract Vector256<float> Apply8(Vector256<float> d, ref float e, nuint i);
        static abstract Vector128<float> Apply4(Vector128<float> d, ref float e, nuint i);
        static abstract float Apply1(float d, ref float e, nint i);
    }

    /// <summary>The stored value is the entry (already weighted by E).</summary>
    internal readonly struct Stored : IEntryWeight
    {
        public static Vector256<float> Apply8(Vector256<float> d, ref float e, nuint i) => d;
        public static Vector128<float> Apply4(Vector128<float> d, ref float e, nuint i) => d;
        public static float Apply1(float d, ref float e, nint i) => d;
    }

    /// <summary>The entry is E·d in f32 (a shared, unweighted derivative value times the pixel's inverse error).</summary>
    internal readonly struct TimesInverseError : IEntryWeight
    {
        public static Vector256<float> Apply8(Vector256<float> d, ref float e, nuint i) => d * Vector256.LoadUnsafe(ref e, i);
        public static Vector128<float> Apply4(Vector128<float> d, ref float e, nuint i) => d * Vector128.LoadUnsafe(ref e, i);
        public static float Apply1(float d, ref float e, nint i) => d * Unsafe.Add(ref e, i);
    }

    /// <summary>
    /// For r &lt; <paramref name="rows"/>, i &lt; <paramref name="width"/>:
    /// dst[r·stride + i] = fma(w, entry, dst[r·stride + i]) with entry = src[r·srcStride + i]
    /// (<see cref="Stored"/>) or that times e[r·stride + i] in f32 (<see cref="TimesInverseError"/>).
    /// The block rows of the one-pass product, all in one call (a padded block has width ≡ 0
    /// mod 4 and no scalar tail).
    /// </summary>
    /// <remarks>Element-wise, so the result does not depend on the vector width; the fused
    /// multiply-add (exact in software where the CPU lacks FMA) rounds once.</remarks>
    public static void AxpyWidenRows<TW>(double w, ref float src, int srcStride, ref float e, ref double dst, int width, int rows, int stride)
        where TW : struct, IEntryWeight
    {
        bool wide = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
        var wv = Vector512.Create(w);
        var wh = Vector256.Create(w);
        for (int r = 0; r < rows; r++)
        {
            ref float s = ref Unsafe.Add(ref src, r * srcStride);
            ref float er = ref Unsafe.Add(ref e, r * stride);
            ref double d = ref Unsafe.Add(ref dst, r * stride);
            int i = 0;
            if (wide)
            {
                for (; i <= width - 8; i += 8)
                {
                    var x = Avx512F.ConvertToVector512Double(TW.Apply8(Vector256.LoadUnsafe(ref s, (nuint)i), ref er, (nuint)i));
                    Vector512.FusedMultiplyAdd(x, wv, Vector512.LoadUnsafe(ref d, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
                }
            }
            for (; i <= width - 4; i += 4)
                Vector256.FusedMultiplyAdd(Widen(TW.Apply4(Vector128.LoadUnsafe(ref s, (nuint)i), ref er, (nuint)i)), wh,
                    Vector256.LoadUnsafe(ref d, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
            for (; i < width; i++)
                Unsafe.Add(ref d, i) = Math.FusedMultiplyAdd(w, TW.Apply1(Unsafe.Add(ref s, i), ref er, i), Unsafe.Add(ref d, i));
        }
    }

    /// <summary>
    /// Σ_r Σ_i entry(r, i)·u[r·stride + i] over a block's rows (entries as in
    /// <see cref="AxpyWidenRows{TW}"/>), in an order fixed by width and rows alone. Row r goes
    /// to accumulator set r mod 4 (independent chains, so the fused multiply-adds of
    /// consecutive rows overlap instead of waiting on one another); within a set, element i of
    /// a row goes to lane i mod 8 while whole groups of 8 remain and a last group of 4 to lanes
    /// 0–3, each lane a chain of fused multiply-adds; the width mod 4 tail goes to one scalar
    /// chain. Then the sets are added as (s0 + s1) + (s2 + s3) lane by lane, the lanes as
    /// ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)), plus the tail. The same bits with or without AVX-512.
    /// </summary>
    public static double DotWidenRows<TW>(ref float src, int srcStride, ref float e, ref double u, int width, int rows, int stride)
        where TW : struct, IEntryWeight
    {
        double tail = 0;
        Vector256<double> lo, hi;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            var a0 = Vector512<double>.Zero;
            var a1 = Vector512<double>.Zero;
            var a2 = Vector512<double>.Zero;
            var a3 = Vector512<double>.Zero;
            int r = 0;
            for (; r <= rows - 4; r += 4)
            {
                a0 = DotRow512<TW>(ref Unsafe.Add(ref src, r * srcStride), ref Unsafe.Add(ref e, r * stride), ref Unsafe.Add(ref u, r * stride), width, a0, ref tail);
                a1 = DotRow512<TW>(ref Unsafe.Add(ref src, (r + 1) * srcStride), ref Unsafe.Add(ref e, (r + 1) * stride), ref Unsafe.Add(ref u, (r + 1) * stride), width, a1, ref tail);
                a2 = DotRow512<TW>(ref Unsafe.Add(ref src, (r + 2) * srcStride), ref Unsafe.Add(ref e, (r + 2) * stride), ref Unsafe.Add(ref u, (r + 2) * stride), width, a2, ref tail);
                a3 = DotRow512<TW>(ref Unsafe.Add(ref src, (r + 3) * srcStride), ref Unsafe.Add(ref e, (r + 3) * stride), ref Unsafe.Add(ref u, (r + 3) * stride), width, a3, ref tail);
            }
            if (r < rows) a0 = DotRow512<TW>(ref Unsafe.Add(ref src, r * srcStride), ref Unsafe.Add(ref e, r * stride), ref Unsafe.Add(ref u, r * stride), width, a0, ref tail);
            if (r + 1 < rows) a1 = DotRow512<TW>(ref Unsafe.Add(ref src, (r + 1) * srcStride), ref Unsafe.Add(ref e, (r + 1) * stride), ref Unsafe.Add(ref u, (r + 1) * stride), width, a1, ref tail);
            if (r + 2 < rows) a2 = DotRow512<TW>(ref Unsafe.Add(ref src, (r + 2) * srcStride), ref Unsafe.Add(ref e, (r + 2) * stride), ref Unsafe.Add(ref u, (r + 2) * stride), width, a2, ref tail);
            var sum = (a0 + a1) + (a2 + a3);
            lo = sum.GetLower();
            hi = sum.GetUpper();
        }
        else
        {
            Span<Vector256<double>> acc = stackalloc Vector256<double>[8];
            acc.Clear();
            for (int r = 0; r < rows; r++)
            {
                ref Vector256<double> l = ref acc[2 * (r & 3)];
                ref Vector256<double> h = ref acc[2 * (r & 3) + 1];
                ref float s = ref Unsafe.Add(ref src, r * srcStride);
                ref float er = ref Unsafe.Add(ref e, r * stride);
                ref double d = ref Unsafe.Add(ref u, r * stride);
                int i = 0;
                for (; i <= width - 8; i += 8)
                {
                    l = Vector256.FusedMultiplyAdd(Widen(TW.Apply4(Vector128.LoadUnsafe(ref s, (nuint)i), ref er, (nuint)i)), Vector256.LoadUnsafe(ref d, (nuint)i), l);
                    h = Vector256.FusedMultiplyAdd(Widen(TW.Apply4(Vector128.LoadUnsafe(ref s, (nuint)(i + 4)), ref er, (nuint)(i + 4))), Vector256.LoadUnsafe(ref d, (nuint)(i + 4)), h);
                }
                if (i <= width - 4)
                {
                    l = Vector256.FusedMultiplyAdd(Widen(TW.Apply4(Vector128.LoadUnsafe(ref s, (nuint)i), ref er, (nuint)i)), Vector256.LoadUnsafe(ref d, (nuint)i), l);
                    i += 4;
                }
                for (; i < width; i++) tail = Math.FusedMultiplyAdd(TW.Apply1(Unsafe.Add(ref s, i), ref er, i), Unsafe.Add(ref d, i), tail);
            }
            lo = (acc[0] + acc[2]) + (acc[4] + acc[6]);
            hi = (acc[1] + acc[3]) + (acc[5] + acc[7]);
        }
        return (((lo[0] + lo[1]) + (lo[2] + lo[3])) + ((hi[0] + hi[1]) + (hi[2] + hi[3]))) + tail;
    }

    /// <summary>One row of <see cref="DotWidenRows{TW}"/> into one accumulator set (AVX-512).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> DotRow512<TW>(ref float s, ref float e, ref double d, int width, Vector512<double> acc, ref double tail)
        where TW : struct, IEntryWeight
    {
        int i = 0;
        for (; i <= width - 8; i += 8)
            acc = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Double(TW.Apply8(Vector256.LoadUnsafe(ref s, (nuint)i), ref e, (nuint)i)),
                Vector512.LoadUnsafe(ref d, (nuint)i), acc);
        if (i <= width - 4)
        {
            // Lanes 0–3 take this group after the row's groups of 8, as in the 256-bit path.
            var lower = Vector256.FusedMultiplyAdd(Widen(TW.Apply4(Vector128.LoadUnsafe(ref s, (nuint)i), ref e, (nuint)i)),
                Vector256.LoadUnsafe(ref d, (nuint)i), acc.GetLower());
            acc = Vector512.Create(lower, acc.GetUpper());
            i += 4;
        }
        for (; i < width; i++) tail = Math.FusedMultiplyAdd(TW.Apply1(Unsafe.Add(ref s, i), ref e, i), Unsafe.Add(ref d, i), tail);
        return acc;
    }

    /// <summary>
    /// As <see cref="WeightRow"/> for a patch whose counts per unit are scale·src:
    /// dst[i] = (f32)(scale·src[i]) · e[i] in f32, 0 where e[i] = 0.
    /// </summary>
    public static double WeightRowScaled(ReadOnlySpan<float> src, double scale, ReadOnlySpan<float> e, Span<float> dst, ref bool nonFinite)
    {
        int n = dst.Length;
        if (src.Length < n || e.Length < n) throw new ArgumentException("WeightRowScaled: spans shorter than the destination.");
        int i = 0;
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float ev = ref MemoryMarshal.GetReference(e);
        ref float d = ref MemoryMarshal.GetReference(dst);
        var sc = Vector256.Create(scale);
        var sum = Vector256<double>.Zero;
        var bad = Vector128<float>.Zero;
        for (; i <= n - 4; i += 4)
        {
            var w = Vector128.LoadUnsafe(ref ev, (nuint)i);
            // (f32)(scale·src), as the scalar loop: the product in f64, rounded once to f32.
            var scaled = Vector128.Narrow((Widen(Vector128.LoadUnsafe(ref s, (nuint)i)) * sc).GetLower(),
                (Widen(Vector128.LoadUnsafe(ref s, (nuint)i)) * sc).GetUpper());
            var val = Vector128.ConditionalSelect(Vector128.Equals(w, Vector128<float>.Zero), Vector128<float>.Zero, scaled * w);
            val.StoreUnsafe(ref d, (nuint)i);
            bad |= ~Vector128.Equals(val - val, Vector128<float>.Zero);
            var x = Widen(val);
            sum += x * x;
        }
        double acc = (sum[0] + sum[1]) + (sum[2] + sum[3]);
        bool anyBad = bad != Vector128<float>.Zero;
        for (; i < n; i++)
        {
            float val = e[i] != 0f ? (float)(scale * src[i]) * e[i] : 0f;
            dst[i] = val;
            if (!float.IsFinite(val)) anyBad = true;
            acc += (double)val * val;
        }
        if (anyBad) nonFinite = true;
        return acc;
    }

    /// <summary>
    /// Weighted derivative row: dst[i] = src[i]·e[i] in f32, and 0 where e[i] = 0 (such
    /// pixels are absent, whatever src holds there). Returns Σ dst[i]² in f64 (4 lanes by
    /// index mod 4, then the tail); sets <paramref name="nonFinite"/> when some product at a
    /// weighted pixel is NaN or ±∞.
    /// </summary>
    public static double WeightRow(ReadOnlySpan<float> src, ReadOnlySpan<float> e, Span<float> dst, ref bool nonFinite)
    {
        int n = dst.Length;
        if (src.Length < n || e.Length < n) throw new ArgumentException("WeightRow: spans shorter than the destination.");
        int i = 0;
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float ev = ref MemoryMarshal.GetReference(e);
        ref float d = ref MemoryMarshal.GetReference(dst);
        var sum = Vector256<double>.Zero;
        var bad = Vector128<float>.Zero;
        for (; i <= n - 4; i += 4)
        {
            var w = Vector128.LoadUnsafe(ref ev, (nuint)i);
            var val = Vector128.ConditionalSelect(Vector128.Equals(w, Vector128<float>.Zero), Vector128<float>.Zero,
                Vector128.LoadUnsafe(ref s, (nuint)i) * w);
            val.StoreUnsafe(ref d, (nuint)i);
            // val − val is 0 for finite values and NaN for NaN and ±∞.
            bad |= ~Vector128.Equals(val - val, Vector128<float>.Zero);
            var x = Widen(val);
            sum += x * x;
        }
        double acc = (sum[0] + sum[1]) + (sum[2] + sum[3]);
        bool anyBad = bad != Vector128<float>.Zero;
        for (; i < n; i++)
        {
            float val = e[i] != 0f ? src[i] * e[i] : 0f;
            dst[i] = val;
            if (!float.IsFinite(val)) anyBad = true;
            acc += (double)val * val;
        }
        if (anyBad) nonFinite = true;
        return acc;
    }

    /// <summary>
    /// χ row: chi[i] = (data[i] − model[i])·e[i] in f32, 0 where e[i] = 0 (data there may be
    /// NaN). Returns Σ chi[i]² in f64 (4 lanes by index mod 4, then the tail); NaN or ∞ in
    /// a weighted χ propagates into the sum.
    /// </summary>
    public static double ChiRow(ReadOnlySpan<float> data, ReadOnlySpan<float> e, ReadOnlySpan<float> model, Span<float> chi)
    {
        int n = chi.Length;
        if (data.Length < n || e.Length < n || model.Length < n) throw new ArgumentException("ChiRow: spans shorter than the destination.");
        int i = 0;
        ref float dr = ref MemoryMarshal.GetReference(data);
        ref float er = ref MemoryMarshal.GetReference(e);
        ref float mr = ref MemoryMarshal.GetReference(model);
        ref float cr = ref MemoryMarshal.GetReference(chi);
        var sum = Vector256<double>.Zero;
        for (; i <= n - 4; i += 4)
        {
            var w = Vector128.LoadUnsafe(ref er, (nuint)i);
            var c = Vector128.ConditionalSelect(Vector128.Equals(w, Vector128<float>.Zero), Vector128<float>.Zero,
                (Vector128.LoadUnsafe(ref dr, (nuint)i) - Vector128.LoadUnsafe(ref mr, (nuint)i)) * w);
            c.StoreUnsafe(ref cr, (nuint)i);
            var x = Widen(c);
            sum += x * x;
        }
        double acc = (sum[0] + sum[1]) + (sum[2] + sum[3]);
        for (; i < n; i++)
        {
            float c = e[i] != 0f ? (data[i] - model[i]) * e[i] : 0f;
            chi[i] = c;
            acc += (double)c * c;
        }
        return acc;
    }

    /// <summary>a[i] = +0 where |a[i]| ≤ limit (so every zero becomes +0), else unchanged. A NaN limit changes nothing.</summary>
    public static void ZeroSmall(Span<float> a, float limit)
    {
        int n = a.Length;
        int i = 0;
        ref float d = ref MemoryMarshal.GetReference(a);
        var lim = Vector256.Create(limit);
        for (; i <= n - 8; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref d, (nuint)i);
            Vector256.ConditionalSelect(Vector256.LessThanOrEqual(Vector256.Abs(v), lim), Vector256<float>.Zero, v)
                .StoreUnsafe(ref d, (nuint)i);
        }
        for (; i < n; i++)
            if (Math.Abs(a[i]) <= limit) a[i] = 0f;
    }

    /// <summary>a[i] *= f.</summary>
    public static void Scale(Span<double> a, double f)
    {
        int n = a.Length;
        int i = 0;
        ref double d = ref MemoryMarshal.GetReference(a);
        var fv = Vector256.Create(f);
        for (; i <= n - 4; i += 4)
            (Vector256.LoadUnsafe(ref d, (nuint)i) * fv).StoreUnsafe(ref d, (nuint)i);
        for (; i < n; i++) a[i] *= f;
    }

    /// <summary>Σ a[i]², in a fixed order (4 partial sums by index mod 4, then the tail).</summary>
    public static double SumSquares(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        int i = 0;
        ref double d = ref MemoryMarshal.GetReference(a);
        var sum = Vector256<double>.Zero;
        for (; i <= n - 4; i += 4)
        {
            var x = Vector256.LoadUnsafe(ref d, (nuint)i);
            sum += x * x;
        }
        double acc = (sum[0] + sum[1]) + (sum[2] + sum[3]);
        for (; i < n; i++) acc += a[i] * a[i];
        return acc;
    }
}
