using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Detection;

/// <summary>
/// SExtractor's multi-threshold deblending of one component: the component is cut at
/// N−1 levels spaced exponentially between its threshold and its filtered peak; the
/// 8-connected pieces at each level form a tree; a node with more than one significant
/// branch (flux above the branch's level &gt; deblend_cont × the component's flux) splits,
/// and the remaining pixels are handed to the resulting cores.
/// </summary>
internal sealed class Deblender
{
    // Pieces smaller than this (or than minarea, if smaller) are not branches.
    private const int MinBranchPixels = 3;
    // An elliptical distance² (in the cores' own metric) beyond which a core's profile
    // counts as 0, as in SExtractor (e^-70 ≈ 4e-31).
    private const float MaxProfileArg = 70f;

    private readonly ExtractOptions _o;
    // Per-component scratch, grown as needed and reused across components.
    private int[] _mark = [], _seen = [], _owner = [];
    private int _stamp;
    private readonly Stack<int> _stack = new();

    public Deblender(ExtractOptions o) { _o = o; }

    private sealed class Node
    {
        public required int[] Pix;      // local indices, ascending (raster order)
        public required float Thresh;
        public double Flux;             // Σ C
        public readonly List<Node> Children = new();
        public bool Ok = true;
    }

    /// <summary>Deblends <paramref name="c"/> and appends the analysed objects to <paramref name="output"/>.</summary>
    public void Run(Component c, List<ObjectStats> output)
    {
        int n = c.Count;
        if (_mark.Length < n) { _mark = new int[n]; _seen = new int[n]; _owner = new int[n]; _stamp = 0; }

        // Object threshold: mean over unmasked pixels (masked ones carry thresh·1e30).
        double tsum = 0, tall = 0;
        int nt = 0;
        for (int q = 0; q < n; q++)
        {
            tall += c.T[q];
            if (!c.Masked[q]) { tsum += c.T[q]; nt++; }
        }
        float t0 = (float)(nt > 0 ? tsum / nt : tall / n);

        var all = new int[n];
        for (int q = 0; q < n; q++) all[q] = q;

        List<Node>? cores = null;
        if (_o.DeblendNThresh > 1 && t0 > 0 && float.IsFinite(t0))
            cores = Split(c, all, t0);

        if (cores is null)
        {
            var s = ObjectStats.Analyse(c, all, t0);
            s.SetMThresh(c, all, _o.MinArea);
            output.Add(s);
            return;
        }
        GatherUp(c, all, t0, cores, output);
    }

    /// <summary>Builds the level tree; returns the cores to split into, or null to keep the component whole.</summary>
    private List<Node>? Split(Component c, int[] all, float t0)
    {
        int nlev = _o.DeblendNThresh;
        float cpeak = float.NegativeInfinity;
        double rootFlux = 0;
        foreach (int q in all) { cpeak = Math.Max(cpeak, c.C[q]); rootFlux += c.C[q]; }
        var root = new Node { Pix = all, Thresh = t0, Flux = rootFlux };
        var levels = new List<List<Node>> { new() { root } };
        int minSize = Math.Min(_o.MinArea, MinBranchPixels);
        var cand = new List<int>();
        for (int k = 1; k < nlev; k++)
        {
            float tk = cpeak > 0 ? (float)(t0 * Math.Pow(cpeak / t0, (double)k / nlev)) : t0;
            var level = new List<Node>();
            foreach (var parent in levels[k - 1])
            {
                cand.Clear();
                foreach (int q in parent.Pix) if (c.C[q] > tk) cand.Add(q);
                foreach (var g in Groups(c, cand, minSize))
                {
                    double f = 0;
                    foreach (int q in g) f += c.C[q];
                    var child = new Node { Pix = g, Thresh = tk, Flux = f };
                    parent.Children.Add(child);
                    level.Add(child);
                }
                if (level.Count >= _o.SubObjectLimit)
                    throw new Tract7dtException(ErrorCodes.DeblendSubObjectLimit,
                        $"Extract: deblending level {k} of a {all.Length}-pixel component holds {level.Count} sub-objects, the limit is {_o.SubObjectLimit}; " +
                        "raise the detection threshold or ExtractOptions.SubObjectLimit.");
            }
            if (level.Count == 0) break;
            levels.Add(level);
        }

        double minFlux = _o.DeblendCont * rootFlux;
        bool Significant(Node j) => j.Flux - j.Thresh * j.Pix.Length > minFlux;

        // Prune bottom-up: a node splits when more than one branch is significant; its
        // intact significant branches become cores, and it is no longer intact.
        var cores = new List<Node>();
        for (int k = levels.Count - 2; k >= 0; k--)
        {
            foreach (var node in levels[k])
            {
                bool ok = true;
                int m = 0;
                foreach (var ch in node.Children)
                {
                    ok &= ch.Ok;
                    if (Significant(ch)) m++;
                }
                if (m > 1)
                {
                    foreach (var ch in node.Children)
                        if (ch.Ok && Significant(ch)) cores.Add(ch);
                    ok = false;
                }
                node.Ok = ok;
            }
        }
        return root.Ok ? null : cores;
    }

    /// <summary>
    /// 8-connected groups (≥ minSize pixels) of the candidate pixels, each sorted in raster
    /// order, listed in the order a raster scan completes them (by their last pixel).
    /// </summary>
    private List<int[]> Groups(Component c, List<int> cand, int minSize)
    {
        int stamp = ++_stamp;
        foreach (int q in cand) _mark[q] = stamp;
        var groups = new List<int[]>();
        var g = new List<int>();
        int bw = c.BoxWidth, bh = c.BoxHeight;
        foreach (int start in cand)
        {
            if (_seen[start] == stamp) continue;
            g.Clear();
            _seen[start] = stamp;
            _stack.Push(start);
            while (_stack.Count > 0)
            {
                int q = _stack.Pop();
                g.Add(q);
                int gx = c.X[q] - c.XMin, gy = c.Y[q] - c.YMin;
                for (int dy = -1; dy <= 1; dy++)
                {
                    int yy = gy + dy;
                    if ((uint)yy >= (uint)bh) continue;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int xx = gx + dx;
                        if ((uint)xx >= (uint)bw) continue;
                        int nb = c.Grid[yy * bw + xx];
                        if (nb >= 0 && _mark[nb] == stamp && _seen[nb] != stamp)
                        {
                            _seen[nb] = stamp;
                            _stack.Push(nb);
                        }
                    }
                }
            }
            if (g.Count < minSize) continue;
            var arr = g.ToArray();
            Array.Sort(arr);
            groups.Add(arr);
        }
        groups.Sort((a, b) => a[^1].CompareTo(b[^1]));
        return groups;
    }

    /// <summary>
    /// Hands every pixel outside the cores to the core whose elliptical Gaussian profile
    /// (amplitude from its isophotal area, shape from its moments) is largest there, then
    /// analyses each core with its pixels, keeping the core's barycentre.
    /// </summary>
    private void GatherUp(Component c, int[] all, float t0, List<Node> cores, List<ObjectStats> output)
    {
        int nc = cores.Count;
        var stats = new ObjectStats[nc];
        var amp = new float[nc];
        var members = new List<int>[nc];
        foreach (int q in all) _owner[q] = -1;
        for (int i = 0; i < nc; i++)
        {
            var s = ObjectStats.Analyse(c, cores[i].Pix, cores[i].Thresh);
            stats[i] = s;
            double d = s.NPix / (2 * Math.PI * s.AbCor * s.A * s.B);
            float a = d < MaxProfileArg ? (float)(t0 * Math.Exp(d)) : 4f * s.CPeak;
            amp[i] = Math.Min(a, 4f * s.CPeak);
            members[i] = new List<int>(cores[i].Pix);
            foreach (int q in cores[i].Pix) _owner[q] = i;
        }
        foreach (int q in all)
        {
            if (_owner[q] >= 0) continue;
            int best = -1, iMin = 0;
            float bestVal = 0f, rhoMin = float.PositiveInfinity;
            for (int i = 0; i < nc; i++)
            {
                var s = stats[i];
                float dx = (float)(c.X[q] - s.X), dy = (float)(c.Y[q] - s.Y);
                float rho = 0.5f * (s.Cxx * dx * dx + s.Cyy * dy * dy + s.Cxy * dx * dy) / s.AbCor;
                if (rho < rhoMin) { rhoMin = rho; iMin = i; }
                float val = rho < MaxProfileArg ? amp[i] * MathF.Exp(-rho) : 0f;
                if (val > bestVal) { bestVal = val; best = i; }
            }
            members[best >= 0 && bestVal > 1e-31f ? best : iMin].Add(q);
        }
        for (int i = 0; i < nc; i++)
        {
            var pix = members[i].ToArray();
            Array.Sort(pix);
            var s = ObjectStats.Analyse(c, pix, t0, keepCentre: true, stats[i].X, stats[i].Y);
            s.Flag |= SourceFlags.Merged;
            s.SetMThresh(c, pix, _o.MinArea);
            output.Add(s);
        }
    }
}
