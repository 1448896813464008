namespace Tract7dt.Science.Fitting.Profiles;

/// <summary>
/// A circular, zero-mean Gaussian mixture for a galaxy of unit effective radius:
/// <c>Σ_k a_k N(0, v_k I)</c>, variances in r_e². Components are sorted by increasing
/// variance; a variance of 0 is a delta-function core.
/// </summary>
public sealed class ProfileMixture
{
    public ProfileMixture(double[] amplitudes, double[] variances)
    {
        if (amplitudes.Length != variances.Length)
            throw new ArgumentException("amplitudes and variances differ in length");
        Amplitudes = amplitudes;
        Variances = variances;
    }

    /// <summary>Amplitudes a_k (sum = total flux of the unit profile, 1 for every tract7dt profile).</summary>
    public double[] Amplitudes { get; }

    /// <summary>Variances v_k in units of r_e².</summary>
    public double[] Variances { get; }

    public int Count => Amplitudes.Length;

    /// <summary>The Exp profile (6 components; raw amplitudes divided once by their sum).</summary>
    public static ProfileMixture Exp { get; } = BuildExp();

    /// <summary>The de Vaucouleurs profile (8 components plus a core of 0.010233 at variance 0).</summary>
    public static ProfileMixture Dev { get; } = BuildDev();

    private static ProfileMixture BuildExp()
    {
        double[] raw = { 2.34853813e-03, 3.07995260e-02, 2.23364214e-01, 1.17949102e+00, 4.33873750e+00, 5.99820770e+00 };
        double[] v = { 1.20078965e-03, 8.84526493e-03, 3.91463084e-02, 1.39976817e-01, 4.60962500e-01, 1.50159566e+00 };
        double s = 0; foreach (double r in raw) s += r;
        var a = new double[raw.Length];
        for (int i = 0; i < a.Length; i++) a[i] = raw[i] / s;
        return new ProfileMixture(a, v);
    }

    private static ProfileMixture BuildDev()
    {
        double[] raw = { 4.26347652e-02, 2.40127183e-01, 6.85907632e-01, 1.51937350e+00, 2.83627243e+00, 4.46467501e+00, 5.72440830e+00, 5.60989349e+00 };
        double[] v = { 2.23759216e-04, 1.00220099e-03, 4.18731126e-03, 1.69432589e-02, 6.84850479e-02, 2.87207080e-01, 1.33320254e+00, 8.40215071e+00 };
        const double core = 0.010233;
        double s = 0; foreach (double r in raw) s += r;
        var a = new double[9];
        var vv = new double[9];
        a[0] = core; vv[0] = 0;
        for (int i = 0; i < 8; i++) { a[i + 1] = raw[i] * (1.0 - core) / s; vv[i + 1] = v[i]; }
        double t = 0; foreach (double x in a) t += x;
        for (int i = 0; i < 9; i++) a[i] /= t;
        return new ProfileMixture(a, vv);
    }
}
