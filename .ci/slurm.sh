#!/usr/bin/env bash
# A single-node SLURM on localhost for the job-queue tests: .ci/slurm.sh up|down|status
#
#   up      install Slurm 22.05 + munge + the Torque-style qsub/qstat/qdel (Debian
#           packages, only when missing; needs root and apt-get), write the config,
#           start munged, slurmctld and slurmd, and wait until the node is idle.
#           Does nothing but the wait when everything already runs.
#   down    cancel every job, then stop slurmd, slurmctld and munged.
#   status  print sinfo and squeue.
#
# The node advertises more CPUs than the machine has (SLURM_LOCAL_CPUS, default
# 16 or 4 x nproc, whichever is larger), so that several small worker jobs run
# at once on a 2-core machine: tests submit jobs that mostly sleep in MPI.
# Memory is real: RealMemory is 90% of MemTotal, and a job gets 1 GB per CPU
# unless it asks for --mem. Environment knobs (all optional):
#   SLURM_LOCAL_CPUS     CPUs the node advertises
#   SLURM_LOCAL_TIMEOUT  seconds `up` waits for the node to become idle (60)
#   SLURM_CONF_DIR       where slurm.conf goes (/etc/slurm)
set -euo pipefail

CONF_DIR="${SLURM_CONF_DIR:-/etc/slurm}"
TIMEOUT="${SLURM_LOCAL_TIMEOUT:-60}"
PARTITION=debug
LOG_DIR=/var/log/slurm
export SLURM_CONF="$CONF_DIR/slurm.conf"

say() { echo "slurm.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

have_slurm() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
        && command -v sbatch >/dev/null && command -v munged >/dev/null \
        && command -v qsub >/dev/null
}

install_slurm() {
    have_slurm && return 0
    [ "$(id -u)" = 0 ] || die "Slurm is not installed and installing it needs root (run as root, or install slurmctld slurmd slurm-client munge slurm-wlm-torque yourself)"
    command -v apt-get >/dev/null || die "Slurm is not installed and apt-get is not available to install it (install slurmctld slurmd slurm-client munge slurm-wlm-torque by hand)"
    say "installing slurmctld slurmd slurm-client munge slurm-wlm-torque"
    # A fresh machine's package lists may be empty or stale: update once when the install fails.
    local pkgs=(slurmctld slurmd slurm-client munge slurm-wlm-torque)
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null \
            || die "apt-get install ${pkgs[*]} failed"
    fi
    have_slurm || die "the packages installed but slurmctld/slurmd/sbatch/munged/qsub are still missing"
}

cgroup_v1_usable() {
    local d
    for d in freezer memory cpuset; do
        [ -d "/sys/fs/cgroup/$d" ] || return 1
    done
    mkdir -p /sys/fs/cgroup/freezer/slurm-probe.$$ 2>/dev/null || return 1
    rmdir /sys/fs/cgroup/freezer/slurm-probe.$$
}

write_config() {
    local nproc cpus mem_kb real_mb proctrack
    nproc=$(nproc)
    cpus="${SLURM_LOCAL_CPUS:-$(( nproc * 4 > 16 ? nproc * 4 : 16 ))}"
    mem_kb=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)
    real_mb=$(( mem_kb * 9 / 10 / 1024 ))
    mkdir -p "$CONF_DIR" /var/spool/slurmctld /var/spool/slurmd "$LOG_DIR"
    chown slurm:slurm /var/spool/slurmctld "$LOG_DIR"
    if cgroup_v1_usable; then
        proctrack=proctrack/cgroup
        cat > "$CONF_DIR/cgroup.conf" <<EOF
# written by .ci/slurm.sh
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=no
ConstrainRAMSpace=no
EOF
    else
        proctrack=proctrack/linuxproc
        rm -f "$CONF_DIR/cgroup.conf"
    fi
    cat > "$CONF_DIR/slurm.conf.new" <<EOF
# written by .ci/slurm.sh: a single-node Slurm on localhost for tests
ClusterName=mpiflow-local
SlurmctldHost=localhost
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG_DIR/jobcomp.log
ReturnToService=2
# srun starts MPI ranks over PMI-2 (works with the MPICH wheel and with most site MPIs)
MpiDefault=pmi2
ProctrackType=$proctrack
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
EnforcePartLimits=ALL
# The node advertises $cpus CPUs on a $nproc-core machine; without this slurmd drains it.
SlurmdParameters=config_overrides
MinJobAge=600
KillWait=5
InactiveLimit=0
SlurmdTimeout=60
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mb State=UNKNOWN
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
    if ! cmp -s "$CONF_DIR/slurm.conf.new" "$CONF_DIR/slurm.conf"; then
        mv "$CONF_DIR/slurm.conf.new" "$CONF_DIR/slurm.conf"
        CONFIG_CHANGED=1
    else
        rm -f "$CONF_DIR/slurm.conf.new"
    fi
}

pid_alive() {  # pid_alive PIDFILE NAME: the pid file names a live process called NAME
    local pid
    [ -r "$1" ] || return 1
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q "$2" "/proc/$pid/comm" 2>/dev/null
}

start_munge() {
    pid_alive /run/munge/munged.pid munged && return 0
    mkdir -p /run/munge && chown munge:munge /run/munge
    [ -s /etc/munge/munge.key ] || { /usr/sbin/mungekey --create --force 2>/dev/null \
        || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; }
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    runuser -u munge -- /usr/sbin/munged --force || die "munged did not start"
}

wait_idle() {
    local deadline state
    deadline=$(( $(date +%s) + TIMEOUT ))
    while :; do
        state=$(timeout 10 sinfo -h -n localhost -o %T 2>/dev/null || true)
        case "$state" in
            idle*|mixed*|allocated*) return 0 ;;
            drain*|down*|inval*|fail*)
                scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true ;;
        esac
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "node state: '${state:-no answer from slurmctld}'"
            tail -n 20 "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" >&2 2>/dev/null || true
            die "the local Slurm node did not become idle within ${TIMEOUT}s (SLURM_LOCAL_TIMEOUT); logs above, in $LOG_DIR"
        fi
        sleep 0.5
    done
}

up() {
    install_slurm
    # slurm-wlm-torque registers its srun wrapper as the system `mpiexec`/`mpirun`;
    # keep those names for a real MPI, so that no script finds it by accident.
    if [ "$(id -u)" = 0 ] && [ -e /usr/bin/mpiexec.slurm ]; then
        update-alternatives --remove mpiexec /usr/bin/mpiexec.slurm >/dev/null 2>&1 || true
        update-alternatives --remove mpirun /usr/bin/mpiexec.slurm >/dev/null 2>&1 || true
    fi
    CONFIG_CHANGED=0
    write_config
    start_munge
    if [ "$CONFIG_CHANGED" = 1 ] && pid_alive /run/slurmctld.pid slurmctld; then
        # running jobs survive a reconfigure; `down` then `up` restarts from scratch
        say "slurm.conf changed: scontrol reconfigure"
        timeout 30 scontrol reconfigure || die "scontrol reconfigure failed (try: $0 down; $0 up)"
    fi
    if ! pid_alive /run/slurmctld.pid slurmctld; then
        rm -f /run/slurmctld.pid
        /usr/sbin/slurmctld -c -f "$SLURM_CONF" || die "slurmctld did not start (see $LOG_DIR/slurmctld.log)"
    fi
    if ! pid_alive /run/slurmd.pid slurmd; then
        rm -f /run/slurmd.pid
        /usr/sbin/slurmd -N localhost -f "$SLURM_CONF" || die "slurmd did not start (see $LOG_DIR/slurmd.log)"
    fi
    wait_idle
    say "up: partition $PARTITION, $(sinfo -h -o '%c CPUs, %m MB' -n localhost) on localhost"
}

stop_pidfile() {  # stop_pidfile PIDFILE NAME: SIGTERM, wait up to 10 s, then SIGKILL
    local pid i
    pid_alive "$1" "$2" || { rm -f "$1"; return 0; }
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null || true
    rm -f "$1"
}

down() {
    local i
    if pid_alive /run/slurmctld.pid slurmctld; then
        # scontrol shutdown leaves running jobs alive: cancel them first and wait for them to go
        timeout 10 scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
        timeout 10 scancel --full --quiet 2>/dev/null || true
        for i in $(seq 100); do
            [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.2
        done
        timeout 10 scontrol shutdown >/dev/null 2>&1 || true
        for i in $(seq 100); do
            pid_alive /run/slurmctld.pid slurmctld || pid_alive /run/slurmd.pid slurmd || break
            sleep 0.1
        done
    fi
    stop_pidfile /run/slurmd.pid slurmd
    stop_pidfile /run/slurmctld.pid slurmctld
    stop_pidfile /run/munge/munged.pid munged
}

status() {
    command -v sinfo >/dev/null || { echo "Slurm is not installed"; return 1; }
    pid_alive /run/slurmctld.pid slurmctld || { echo "slurmctld is not running"; return 1; }
    sinfo -N -o '%N %P %T %c %m'
    squeue -o '%i %P %j %u %T %M %D %C %m %R'
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
