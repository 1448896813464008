using System.Diagnostics;
using System.Globalization;
using Tract7dt.Science.Logging;

namespace Tract7dt.Science.Cluster;

/// <summary>
/// Runs work items as one Slurm job array: packs them <see cref="SlurmArrayOptions.ItemsPerTask"/>
/// per array task, submits once, polls with a progress line, resubmits the items of tasks
/// that ended transiently (node failure, preemption, cancellation) up to
/// <see cref="SlurmArrayOptions.MaxResubmits"/> times, and on cancellation scancels what is
/// still queued or running. Whether an item is done is decided only by the caller's
/// <c>isComplete</c> check (its stamp against its current key), never by Slurm's state or
/// by a file's existence.
/// </summary>
public sealed class SlurmArrayExecutor
{
    /// <summary>A task missing from squeue this many polls in a row (never seen before) counts as ended.</summary>
    private const int MissingPollsBeforeEnded = 3;

    private readonly ISlurmClient _slurm;
    private readonly SlurmArrayOptions _options;
    private readonly Log _log;
    private readonly Progress _progress;

    public SlurmArrayExecutor(ISlurmClient slurm, SlurmArrayOptions options, Log log, Progress? progress = null)
    {
        if (options.ItemsPerTask < 1) throw new ArgumentOutOfRangeException(nameof(options), "ItemsPerTask must be ≥ 1");
        _slurm = slurm;
        _options = options;
        _log = log;
        _progress = progress ?? Progress.None;
    }

    /// <summary>Sync wrapper of <see cref="RunAsync"/> for stage code.</summary>
    public ClusterRunResult Run(IReadOnlyList<ClusterWorkItem> items, Func<string, bool> isComplete, CancellationToken cancellation) =>
        RunAsync(items, isComplete, cancellation).GetAwaiter().GetResult();

    /// <summary>
    /// Submits <paramref name="items"/> (in order) and waits until each has completed or failed
    /// for good. <paramref name="isComplete"/> (item id → true when its outputs are valid for
    /// its current key) is called once an item's task has ended. Throws
    /// <see cref="OperationCanceledException"/> after cancelling the arrays when
    /// <paramref name="cancellation"/> fires; items finished by then stay valid.
    /// </summary>
    public async Task<ClusterRunResult> RunAsync(IReadOnlyList<ClusterWorkItem> items, Func<string, bool> isComplete,
        CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
            if (!order.TryAdd(items[i].Id, i))
                throw new ArgumentException($"duplicate work item id '{items[i].Id}'", nameof(items));

        var attempts = new int[items.Count];
        var completed = new bool[items.Count];
        var failures = new ClusterItemFailure?[items.Count];
        var toSubmit = new List<int>(Enumerable.Range(0, items.Count));
        var tasks = new Dictionary<(string Job, int Index), TaskRecord>();
        var jobIds = new List<string>();
        TimeSpan submitTime = default, pollTime = default, collectTime = default;
        int resubmitted = 0;
        var sw = new Stopwatch();

        try
        {
            while (true)
            {
                if (toSubmit.Count > 0)
                {
                    toSubmit.Sort();
                    sw.Restart();
                    string job = await SubmitAsync(items, toSubmit, attempts, tasks, cancellation).ConfigureAwait(false);
                    submitTime += sw.Elapsed;
                    jobIds.Add(job);
                    foreach (int k in toSubmit) if (attempts[k]++ > 0) resubmitted++;
                    toSubmit.Clear();
                }

                var active = tasks.Where(t => !t.Value.Ended).ToList();
                Report(items.Count, completed, failures, active, total.Elapsed, force: false, jobIds);
                if (active.Count == 0) break;

                await Task.Delay(_options.PollInterval, cancellation).ConfigureAwait(false);

                sw.Restart();
                var activeJobs = active.Select(t => t.Key.Job).Distinct().ToList();
                var listed = (await _slurm.QueryArraysAsync(activeJobs, cancellation).ConfigureAwait(false))
                    .ToDictionary(s => (s.ArrayJobId, s.TaskIndex));
                var ended = new List<(TaskRecord Task, SlurmTaskStatus Status)>();
                var forgotten = new List<TaskRecord>();
                foreach (var (key, rec) in active)
                {
                    if (listed.TryGetValue(key, out var st))
                    {
                        rec.Seen = true;
                        rec.Missing = 0;
                        rec.State = SlurmJobState.Normalize(st.State);
                        if (st.Kind != SlurmStateKind.Active) ended.Add((rec, st));
                    }
                    else if (rec.Seen || ++rec.Missing >= MissingPollsBeforeEnded)
                    {
                        forgotten.Add(rec);
                    }
                }
                if (forgotten.Count > 0)
                {
                    // The controller forgot them (MinJobAge passed between two polls): ask accounting, if any.
                    var acct = (await _slurm.QueryAccountingAsync(forgotten.Select(r => r.Job).Distinct().ToList(), cancellation)
                        .ConfigureAwait(false)).ToDictionary(s => (s.ArrayJobId, s.TaskIndex));
                    foreach (var rec in forgotten)
                        ended.Add((rec, acct.TryGetValue((rec.Job, rec.Index), out var st)
                            ? st : new SlurmTaskStatus(rec.Job, rec.Index, "UNKNOWN", "")));
                }
                var exitCodes = await ExitCodesAsync(ended, cancellation).ConfigureAwait(false);
                pollTime += sw.Elapsed;

                sw.Restart();
                foreach (var (rec, st) in ended)
                {
                    rec.Ended = true;
                    rec.State = SlurmJobState.Normalize(st.State);
                    var kind = st.Kind;
                    string? exit = st.ExitCode ?? exitCodes.GetValueOrDefault((rec.Job, rec.Index));
                    string logPath = _options.LogPath(rec.Job, rec.Index);
                    foreach (int k in rec.Items)
                    {
                        if (isComplete(items[k].Id)) { completed[k] = true; continue; }
                        bool retry = kind is SlurmStateKind.Transient or SlurmStateKind.Unknown && attempts[k] <= _options.MaxResubmits;
                        if (retry)
                        {
                            _log.Warn($"Slurm task {rec.Job}_{rec.Index} ended {rec.State}; resubmitting {items[k].Id} " +
                                      $"(attempt {attempts[k] + 1} of {_options.MaxResubmits + 1}; log {logPath})");
                            toSubmit.Add(k);
                        }
                        else
                        {
                            failures[k] = new ClusterItemFailure(items[k].Id, rec.State, exit, logPath, attempts[k]);
                            _log.Error($"[patch FAIL] {items[k].Id}: Slurm task {rec.Job}_{rec.Index} {Describe(rec.State, exit)}; log {logPath}");
                        }
                    }
                }
                collectTime += sw.Elapsed;
                if (ended.Count > 0) Report(items.Count, completed, failures, tasks.Where(t => !t.Value.Ended).ToList(), total.Elapsed, force: true, jobIds);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await CancelActiveAsync(tasks).ConfigureAwait(false);
            throw;
        }
        finally
        {
            _progress.Dispose();
        }

        return new ClusterRunResult
        {
            Completed = Enumerable.Range(0, items.Count).Where(k => completed[k]).Select(k => items[k].Id).ToList(),
            Failed = failures.Where(f => f is not null).Select(f => f!).ToList(),
            ArrayJobIds = jobIds,
            Resubmitted = resubmitted,
            SubmitTime = submitTime,
            PollTime = pollTime,
            CollectTime = collectTime,
            Elapsed = total.Elapsed,
        };
    }

    private async Task<string> SubmitAsync(IReadOnlyList<ClusterWorkItem> items, List<int> indices, int[] attempts,
        Dictionary<(string, int), TaskRecord> tasks, CancellationToken cancellation)
    {
        var groups = indices.Chunk(_options.ItemsPerTask).ToList();
        string text = BatchScript.Text(groups.Select(g => (IReadOnlyList<ClusterWorkItem>)g.Select(k => items[k]).ToList()).ToList());
        Directory.CreateDirectory(_options.Directory);
        // Named by content: the same set of items gives the same script, and no two runs clash.
        string script = Path.Join(_options.Directory, "array-" + IO.ContentHash.OfText(text)[..16] + ".sh");
        IO.AtomicFile.WriteAllText(script, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                         UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var taskIndices = Enumerable.Range(0, groups.Count).ToList();
        string job = await _slurm.SubmitArrayAsync(_options.Submission(script, taskIndices), cancellation).ConfigureAwait(false);
        for (int g = 0; g < groups.Count; g++)
            tasks[(job, g)] = new TaskRecord(job, g, groups[g]);
        bool retry = indices.Any(k => attempts[k] > 0);
        _log.Info($"Submitted Slurm array {job}: {indices.Count} item(s) in {groups.Count} task(s)" +
                  (_options.MaxSimultaneous is int m ? $", at most {m} at once" : "") +
                  (retry ? " (resubmission)" : "") + $"; logs {Path.Join(_options.Directory, $"slurm-{job}_<i>.out")}");
        return job;
    }

    private async Task<Dictionary<(string, int), string>> ExitCodesAsync(List<(TaskRecord Task, SlurmTaskStatus Status)> ended,
        CancellationToken cancellation)
    {
        var result = new Dictionary<(string, int), string>();
        foreach (string job in ended.Where(e => e.Status.Kind is SlurmStateKind.Permanent or SlurmStateKind.Transient && e.Status.ExitCode is null)
                     .Select(e => e.Task.Job).Distinct())
            foreach (var st in await _slurm.ShowArrayAsync(job, cancellation).ConfigureAwait(false))
                if (st.ExitCode is not null) result[(st.ArrayJobId, st.TaskIndex)] = st.ExitCode;
        return result;
    }

    private async Task CancelActiveAsync(Dictionary<(string Job, int Index), TaskRecord> tasks)
    {
        foreach (string job in tasks.Values.Where(t => !t.Ended).Select(t => t.Job).Distinct())
        {
            try
            {
                await _slurm.CancelAsync(job, null, CancellationToken.None).ConfigureAwait(false);
                _log.Warn($"Cancelled Slurm array {job}; patches finished before the cancel keep their outputs and stamps.");
            }
            catch (Errors.Tract7dtException e)
            {
                _log.Error($"Could not cancel Slurm array {job}: {e.Message}");
            }
        }
    }

    private void Report(int total, bool[] completed, ClusterItemFailure?[] failures,
        List<KeyValuePair<(string Job, int Index), TaskRecord>> active, TimeSpan elapsed, bool force, List<string> jobIds)
    {
        int done = completed.Count(c => c), failed = failures.Count(f => f is not null);
        int running = 0, pending = 0;
        foreach (var (_, rec) in active)
        {
            if (rec.State == "RUNNING" || rec.State == "COMPLETING" || rec.State == "CONFIGURING") running += rec.Items.Length;
            else pending += rec.Items.Length;
        }
        double rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        string msg = string.Create(CultureInfo.InvariantCulture,
            $"Slurm patches [{ProgressText.Bar(done + failed, total)}] {done + failed}/{total} ok={done} fail={failed} " +
            $"running={running} pending={pending} rate={ProgressText.Rate(rate)} eta={ProgressText.Eta(total - done - failed, rate)} " +
            $"array={string.Join(",", jobIds)}");
        _progress.Report(msg, force);
    }

    private static string Describe(string state, string? exit) => state switch
    {
        "COMPLETED" => "exited 0 but left no valid stamp",
        _ => exit is null ? $"ended {state}" : $"ended {state} (exit {exit})",
    };

    private sealed class TaskRecord(string job, int index, int[] items)
    {
        public string Job { get; } = job;
        public int Index { get; } = index;
        public int[] Items { get; } = items;
        public string State { get; set; } = "PENDING";
        public bool Seen { get; set; }
        public int Missing { get; set; }
        public bool Ended { get; set; }
    }
}
