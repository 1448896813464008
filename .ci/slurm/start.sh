#!/usr/bin/env bash
# Starts a single-node Slurm on this machine, without systemd: munged as the munge user,
# a minimal slurm.conf naming this host with its real cores and memory, slurmctld -i and
# slurmd by hand, then waits until sinfo shows the node idle. Idempotent: daemons already
# running (by their PID files) are left alone. Needs root. Stop with stop.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

if [ "$(id -u)" -ne 0 ]; then echo "slurm: start.sh needs root" >&2; exit 1; fi
for bin in slurmctld slurmd sinfo munged; do
  command -v "$bin" >/dev/null || { echo "slurm: $bin missing; run $here/install.sh first" >&2; exit 1; }
done

host=$(hostname -s)
cpus=$(nproc)
# Leave 5% of the memory (at least 256 MB) to the OS so slurmd never reports less than
# the config says (which would drain the node).
mem_total=$(free -m | awk '/^Mem:/ {print $2}')
mem=$(( mem_total - (mem_total / 20 > 256 ? mem_total / 20 : 256) ))

mkdir -p "$T7D_SLURM_DIR"/{state,spool,log}

# --- munge -------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
mkdir -p "$MUNGE_RUN" /var/log/munge /var/lib/munge
chown munge:munge "$MUNGE_RUN" /var/log/munge /var/lib/munge
chmod 0755 "$MUNGE_RUN"
if ! alive "$MUNGE_PID"; then
  rm -f "$MUNGE_PID" "$MUNGE_RUN"/munge.socket.2*
  runuser -u munge -- munged --force
fi
for _ in $(seq 50); do munge -n </dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n </dev/null | unmunge >/dev/null || { echo "slurm: munged does not answer" >&2; exit 1; }

# --- slurm.conf --------------------------------------------------------------------------
if [ -e "$SLURM_CONF_PATH" ] && ! grep -qF "$CONF_MARKER" "$SLURM_CONF_PATH"; then
  echo "slurm: $SLURM_CONF_PATH exists and was not written by this script; refusing to replace it" >&2
  exit 1
fi
mkdir -p "$(dirname "$SLURM_CONF_PATH")"
conf_tmp=$(mktemp "$SLURM_CONF_PATH.XXXXXX")
cat >"$conf_tmp" <<CONF
$CONF_MARKER
ClusterName=t7dtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
# No cgroups here (no systemd, possibly a sandboxed kernel): track processes by parent.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# Schedule every second so short test arrays do not wait for the 60 s default pass.
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# Jobs that name no memory get an equal share per CPU, not the whole node.
DefMemPerCPU=$(( mem / cpus ))
# Keep finished jobs visible to squeue/scontrol for 10 minutes.
MinJobAge=600
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
StateSaveLocation=$T7D_SLURM_DIR/state
SlurmdSpoolDir=$T7D_SLURM_DIR/spool
SlurmctldLogFile=$T7D_SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$T7D_SLURM_DIR/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=60
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
chmod 0644 "$conf_tmp"
if cmp -s "$conf_tmp" "$SLURM_CONF_PATH"; then rm -f "$conf_tmp"; changed=0
else mv -f "$conf_tmp" "$SLURM_CONF_PATH"; changed=1; fi
export SLURM_CONF=$SLURM_CONF_PATH

# --- daemons -----------------------------------------------------------------------------
if alive "$CTLD_PID" && [ "$changed" -eq 1 ]; then scontrol reconfigure || true; fi
alive "$CTLD_PID" || slurmctld -i
alive "$SLURMD_PID" || slurmd

# --- wait for the node -------------------------------------------------------------------
state=""
for i in $(seq 120); do
  state=$(sinfo -h -n "$host" -o '%T' 2>/dev/null | head -1 || true)
  case "$state" in
    idle|mixed|allocated) break ;;
    drained|draining|down|down\*|drained\*)
      # A node left down by an earlier unclean stop: return it to service.
      scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
done
case "$state" in
  idle|mixed|allocated) echo "slurm: node $host $state ($cpus CPUs, ${mem} MB); logs in $T7D_SLURM_DIR/log" ;;
  *) echo "slurm: node $host did not become idle (state '$state'); see $T7D_SLURM_DIR/log" >&2
     tail -5 "$T7D_SLURM_DIR"/log/*.log >&2 || true
     exit 1 ;;
esac
