#!/usr/bin/env bash
# Installs a single-node Slurm (Debian 12: Slurm 22.05) and munge when they are missing.
# Idempotent: does nothing when every binary is already on PATH. Needs root (apt-get).
set -euo pipefail

need=()
for bin in slurmctld slurmd sbatch munged; do
  command -v "$bin" >/dev/null 2>&1 || need+=("$bin")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "slurm: already installed ($(dpkg-query -W -f '${Version}' slurmctld 2>/dev/null || echo "version unknown"))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "slurm: missing ${need[*]} and not root; install slurmctld slurmd slurm-client munge by hand" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Package scripts try to start services; there is no systemd/init here, so keep them from
# starting anything (start.sh starts the daemons by hand).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1
fi
trap '[ "$created_policy" -eq 1 ] && rm -f "$policy"' EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
echo "slurm: installed ($(dpkg-query -W -f '${Version}' slurmctld))"
