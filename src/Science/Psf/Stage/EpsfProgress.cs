using System.Diagnostics;
using Tract7dt.Science.Logging;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// Progress of the band workers (docs/epsf.md §11, cosmetic only): one slot per worker
/// (<c>[wNN band] [bar] pct% done/total ok= fail= rate= eta=</c> or <c>[wNN] idle</c>), each its
/// own line below the overall line (a terminal shows the block live; a log gets the overall
/// line only), hand-off notices (<c>done b (ok/total ok, fail=f) -> start b2</c>),
/// the per-band log line every 10 % of a band, and the overall
/// <c>ePSF bands [bar] done/total running= band_fail= patch_ok= patch_fail= eta=</c>.
/// Thread-safe.
/// </summary>
public sealed class EpsfProgress : IDisposable
{
    private readonly Progress _line;
    private readonly Log _log;
    private readonly int _bands;
    private readonly Slot[] _slots;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private int _bandsDone, _bandFail, _cellsOk, _cellsFail;

    public EpsfProgress(Progress line, Log log, int bands, int workers)
    {
        _line = line;
        _log = log;
        _bands = bands;
        _slots = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => new Slot()).ToArray();
        Report(true);
    }

    private sealed class Slot
    {
        public string? Band;
        public string? LastDone;
        public int Done, Total, Ok, Fail;
        public Stopwatch Clock = new();
    }

    public void Start(int slot, string band, int total)
    {
        lock (_gate)
        {
            var s = _slots[slot];
            if (s.LastDone is not null) _log.Info($"[w{slot:00}] {s.LastDone} -> start {band}");
            s.Band = band; s.Done = s.Ok = s.Fail = 0; s.Total = total; s.Clock.Restart();
        }
        Report(true);
    }

    public void CellDone(int slot, bool ok)
    {
        string? line = null;
        lock (_gate)
        {
            var s = _slots[slot];
            s.Done++;
            if (ok) { s.Ok++; _cellsOk++; } else { s.Fail++; _cellsFail++; }
            if (s.Done % Math.Max(1, s.Total / 10) == 0 || s.Done == s.Total)
                line = EpsfCellWriter.BandProgressLine(s.Band!, s.Done, s.Total, s.Ok, s.Fail, s.Clock.Elapsed.TotalSeconds);
        }
        if (line is not null) _log.Info(line);
        Report(false);
    }

    public void BandDone(int slot, bool failed)
    {
        lock (_gate)
        {
            var s = _slots[slot];
            _bandsDone++;
            if (failed) _bandFail++;
            s.LastDone = failed ? $"done {s.Band} (worker error)" : $"done {s.Band} ({s.Ok}/{s.Total} ok, fail={s.Fail})";
            s.Band = null;
        }
        Report(true);
    }

    private void Report(bool force)
    {
        string msg;
        lock (_gate)
        {
            double rate = _clock.Elapsed.TotalSeconds > 0 ? _bandsDone / _clock.Elapsed.TotalSeconds : 0;
            int running = _slots.Count(s => s.Band is not null);
            msg = $"ePSF bands [{ProgressText.Bar(_bandsDone, _bands)}] {_bandsDone}/{_bands} running={running} band_fail={_bandFail} " +
                  $"patch_ok={_cellsOk} patch_fail={_cellsFail} eta={ProgressText.Eta(_bands - _bandsDone, rate)}";
            if (_slots.Length > 1)
                for (int i = 0; i < _slots.Length; i++)
                {
                    var s = _slots[i];
                    if (s.Band is null) { msg += $"\n  [w{i:00}] idle"; continue; }
                    double r = s.Clock.Elapsed.TotalSeconds > 0 ? s.Done / s.Clock.Elapsed.TotalSeconds : 0;
                    int pct = s.Total > 0 ? (int)Math.Round(100.0 * s.Done / s.Total) : 0;
                    msg += $"\n  [w{i:00} {s.Band}] [{ProgressText.Bar(s.Done, s.Total, 20)}] {pct}% {s.Done}/{s.Total} ok={s.Ok} fail={s.Fail} " +
                           $"rate={ProgressText.Rate(r)} eta={ProgressText.Eta(s.Total - s.Done, r)}";
                }
        }
        _line.Report(msg, force);
    }

    public void Dispose() => _line.Dispose();
}
