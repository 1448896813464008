#!/usr/bin/env bash
# Stops the single-node test cluster started by start.sh, by its PID files (slurmd,
# slurmctld, then munged). Idempotent: a daemon that is not running is skipped.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

stop_pid() { # name pidfile
  local name=$1 file=$2 pid
  if ! alive "$file"; then rm -f "$file"; return 0; fi
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "slurm: $name ($pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$file"
  echo "slurm: stopped $name ($pid)"
}

stop_pid slurmd "$SLURMD_PID"
stop_pid slurmctld "$CTLD_PID"
if [ "${1:-}" != "--keep-munge" ]; then stop_pid munged "$MUNGE_PID"; fi
