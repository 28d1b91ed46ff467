#!/usr/bin/env bash
# Tries deploy/slurm/crnn-workers.sbatch for real on this one machine: installs Slurm and munge
# from Debian when missing, configures a single-node Slurm cluster in a scratch folder, starts
# munged, slurmctld and slurmd, starts a private PostgreSQL and a coordinator, submits a small
# digits run, runs a 2-worker job array against it, waits for the run to complete, prints what
# Slurm and the database saw, and tears everything down (the installed packages stay).
#
#   deploy/slurm/single-node.sh [--bin DIR] [--workers N] [--timeout S]
#   (root; DIR default .build/release; S: seconds to wait for the run, default 600)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
bin=$repo/.build/release
workers=2
timeout=600
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$(cd "$2" && pwd); shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    *) echo "usage: $0 [--bin DIR] [--workers N] [--timeout S]" >&2; exit 2 ;;
  esac
done
for tool in crnnctl crnn-coordinator crnn-worker; do
  [ -x "$bin/$tool" ] || { echo "single-node: $bin/$tool missing (make release, or --bin DIR)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "single-node: run as root (it starts munged, slurmctld and slurmd)" >&2; exit 1; }

say() { echo "single-node: $*"; }
work=$(mktemp -d /tmp/crnn-slurm.XXXXXX)
chmod 755 "$work"
started_munge=""
# Slurm daemons started from a configuration of this script (this run's, or a crashed earlier
# one's: they would hold the ports).
stop_slurm() {  # $1: the pattern their command lines match
  pkill -f -- "$1" 2>/dev/null || return 0
  for _ in $(seq 20); do pgrep -f -- "$1" >/dev/null || return 0; sleep 0.5; done
  pkill -9 -f -- "$1" 2>/dev/null
  sleep 0.5
}
cleanup() {
  set +e
  [ -n "${job:-}" ] && scancel "$job" 2>/dev/null
  stop_slurm "$work/slurm.conf"
  [ -n "${coordinator:-}" ] && kill "$coordinator" 2>/dev/null && wait "$coordinator" 2>/dev/null
  [ -d "$work/crnn/pg" ] && CRNN_HOME=$work/crnn "$bin/crnnctl" db stop >/dev/null 2>&1
  [ -n "$started_munge" ] && pkill -x munged
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

# 1. Packages.
missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. munge: the key Slurm's daemons and commands authenticate with.
if [ ! -s /etc/munge/munge.key ]; then mungekey --create --keyfile /etc/munge/munge.key; fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged
  started_munge=1
fi

# 3. A one-node Slurm cluster, configured in the scratch folder.
stop_slurm "-f /tmp/crnn-slurm\.[A-Za-z0-9]+/slurm\.conf"
host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=crnn-try
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=try Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
  [ "$state" = "idle" ] && break
  sleep 1
done
[ "${state:-}" = "idle" ] || { say "slurm did not come up (node state '${state:-}')"; tail -20 "$work/slurmctld.log" "$work/slurmd.log"; exit 1; }
say "slurm up: $(sinfo -h -o '%P %D node(s) %c CPUs %T')"

# 4. The cluster database, a coordinator and a small run.
export CRNN_HOME=$work/crnn CRNN_DATA=$repo/data
unset DATABASE_URL
mkdir -p "$CRNN_HOME"
"$bin/crnnctl" db start >/dev/null
url=$("$bin/crnnctl" db url)
(umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/token")
chmod 644 "$work/token" && chmod 600 "$work/token"
"$bin/crnn-coordinator" --listen 127.0.0.1:0 --token-file "$work/token" --threads 1 > "$work/coordinator.log" 2>&1 &
coordinator=$!
submitted=$("$bin/crnnctl" submit "$repo/examples/demo.yaml" --name slurm-try \
  --set data.synthetic.samples_per_epoch=1024 --set shard_size=64 --set epochs=1 --set image.width=64 --set validation.every=10)
run=$(echo "$submitted" | sed -nE 's/^run ([0-9]+) queued.*/\1/p')
say "$submitted"

# 5. The job array: one crnn-worker per task.
job=$(cd "$work" && DATABASE_URL=$url CRNN_TOKEN_FILE=$work/token CRNN_BIN=$bin CRNN_EXIT_WHEN_IDLE=5 \
  sbatch --parsable --array=1-"$workers" --cpus-per-task=1 "$repo/deploy/slurm/crnn-workers.sbatch")
say "submitted job array $job (tasks 1-$workers)"
sleep 2
squeue -h -o '  %i %j %T %M %R' || true
deadline=$(( $(date +%s) + timeout ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  state=$("$bin/crnnctl" sql -- -Atc "select state from runs where id = $run" 2>/dev/null || true)
  [ "$state" = "completed" ] || [ "$state" = "failed" ] && break
  sleep 1
done
say "run $run: ${state:-unknown}"
"$bin/crnnctl" sql -- -c "select w.name, count(*) as shards, sum(s.sample_count) as samples from shards s join workers w on w.id = s.lease_owner where s.run_id = $run and s.state = 'completed' group by w.name order by w.name"
for _ in $(seq 30); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 1; done
say "job array finished: $( [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && echo yes || echo no)"
for log in "$work"/crnn-worker-*.log; do
  echo "--- $(basename "$log"):"; grep -E "registered|no work" "$log" | sed -E 's/^[^ ]+ //' | head -3
done
[ "$state" = "completed" ]
