using System.Numerics;
using System.Runtime.CompilerServices;

namespace Tract7dt.Science.Simulation;

/// <summary>
/// A small, portable pseudo-random generator for the simulator: xoshiro256** seeded through
/// SplitMix64. Every number it produces depends only on the seed and the stream key, never on
/// the runtime version, the machine or thread timing, so a simulated tile is reproducible
/// anywhere. Independent streams (one per image row, one per scene component) are made with
/// <see cref="ForStream"/> so that work can be split into row strips or run in parallel
/// without changing a single value.
/// </summary>
/// <remarks>This is a mutable struct: pass it by <c>ref</c>, never by value, or draws repeat.</remarks>
public struct SimRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public SimRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>
    /// A generator for the stream identified by (<paramref name="seed"/>, <paramref name="a"/>,
    /// <paramref name="b"/>, <paramref name="c"/>): e.g. (seed, band index, row, purpose).
    /// Different keys give statistically independent sequences.
    /// </summary>
    public static SimRandom ForStream(ulong seed, ulong a, ulong b = 0, ulong c = 0)
    {
        ulong x = seed;
        ulong h = SplitMix(ref x);
        x = h ^ (a * 0xD1B54A32D192ED03UL);
        h = SplitMix(ref x);
        x = h ^ (b * 0xABC98388FB8FAC03UL);
        h = SplitMix(ref x);
        x = h ^ (c * 0x8CB92BA72F3D8DD7UL);
        return new SimRandom(SplitMix(ref x));
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next raw 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>Uniform double in (0, 1]: safe to take the logarithm of.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDoubleNonZero() => ((NextUInt64() >> 11) + 1) * (1.0 / 9007199254740992.0);

    /// <summary>Uniform double in [lo, hi).</summary>
    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 33) * (ulong)n >> 31);

    /// <summary>
    /// Standard normal deviate by the Marsaglia polar method (only +, *, log, sqrt: no
    /// trigonometric calls, whose last bits may differ between C runtimes).
    /// </summary>
    public double NextGaussian()
    {
        double u, v, s;
        do
        {
            u = 2.0 * NextDouble() - 1.0;
            v = 2.0 * NextDouble() - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        return u * Math.Sqrt(-2.0 * Math.Log(s) / s);
    }

    /// <summary>
    /// Poisson deviate with mean <paramref name="lambda"/> (≥ 0). Small means use
    /// multiplication of uniforms (Knuth); means ≥ 10 use Hörmann's transformed rejection
    /// with squeeze (PTRS, 1993), exact for every mean. Non-finite or negative means return 0.
    /// </summary>
    public long NextPoisson(double lambda)
    {
        if (!(lambda > 0)) return 0;
        if (lambda < 10.0)
        {
            double limit = Math.Exp(-lambda);
            double p = NextDouble();
            long k = 0;
            while (p > limit) { p *= NextDouble(); k++; }
            return k;
        }
        double slam = Math.Sqrt(lambda), loglam = Math.Log(lambda);
        double b = 0.931 + 2.53 * slam;
        double a = -0.059 + 0.02483 * b;
        double invAlpha = 1.1239 + 1.1328 / (b - 3.4);
        double vr = 0.9277 - 3.6224 / (b - 2.0);
        while (true)
        {
            double u = NextDouble() - 0.5;
            double v = NextDouble();
            double us = 0.5 - Math.Abs(u);
            long k = (long)Math.Floor((2.0 * a / us + b) * u + lambda + 0.43);
            if (us >= 0.07 && v <= vr) return k;
            if (k < 0 || (us < 0.013 && v > us)) continue;
            double lhs = Math.Log(v) + Math.Log(invAlpha) - Math.Log(a / (us * us) + b);
            double rhs = -lambda + k * loglam - LogFactorial(k);
            if (lhs <= rhs) return k;
        }
    }

    private static double LogFactorial(long k)
    {
        if (k < 2) return 0.0;
        if (k < 16)
        {
            double f = 1;
            for (long i = 2; i <= k; i++) f *= i;
            return Math.Log(f);
        }
        // Stirling series; error < 1e-12 for k >= 16.
        double x = k + 1.0;
        double ix = 1.0 / x, ix2 = ix * ix;
        return (x - 0.5) * Math.Log(x) - x + 0.91893853320467274178
             + ix * (1.0 / 12 - ix2 * (1.0 / 360 - ix2 * (1.0 / 1260 - ix2 / 1680)));
    }
}
