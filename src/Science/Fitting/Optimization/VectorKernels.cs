using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tract7dt.Science.Fitting.Optimization;

/// <summary>
/// The two inner loops of the sparse products: f32 matrix values against f64 vectors.
/// Always 4 doubles per lane group (Vector256, emulated where the CPU lacks AVX), so the
/// summation order — and with it every bit of the result — is the same on every machine.
/// </summary>
internal static class VectorKernels
{
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
                var x = Vector256.Create(Vector128.WidenLower(f), Vector128.WidenUpper(f));
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
                var x = Vector256.Create(Vector128.WidenLower(f), Vector128.WidenUpper(f));
                sum += x * Vector256.LoadUnsafe(ref d, (nuint)i);
            }
            acc = (sum[0] + sum[1]) + (sum[2] + sum[3]);
        }
        for (; i < n; i++) acc += a[i] * b[i];
        return acc;
    }
}
