# Shared paths of the single-node test cluster (sourced by start.sh and stop.sh).
# Everything the cluster writes lives under T7D_SLURM_DIR, so stop.sh can find it again.
T7D_SLURM_DIR=${T7D_SLURM_DIR:-/var/lib/t7d-slurm}
SLURM_CONF_PATH=${SLURM_CONF:-/etc/slurm/slurm.conf}
CONF_MARKER="# tract7dt single-node test cluster (written by .ci/slurm/start.sh)"
CTLD_PID=$T7D_SLURM_DIR/slurmctld.pid
SLURMD_PID=$T7D_SLURM_DIR/slurmd.pid
MUNGE_RUN=/run/munge
MUNGE_PID=$MUNGE_RUN/munged.pid

# alive PIDFILE: true when the file names a running process.
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
