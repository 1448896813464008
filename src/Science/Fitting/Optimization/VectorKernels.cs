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
