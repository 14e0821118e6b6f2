#!/bin/sh
# The article's `kubectl exec … pkill -HUP catbox`, done by itself: runs beside
# catbox in the same pod (shareProcessNamespace) and sends it SIGHUP whenever
# kubelet swaps the mounted Secret. kubelet updates a Secret volume atomically by
# pointing the `..data` symlink at a new timestamped directory, so the target of
# that one link changes exactly once per update.
#
# POSIX sh (busybox ash in the pod, dash in the tests). Environment:
#   CONFIG_DIR    the mounted Secret            (default /etc/catbox)
#   TARGET_NAME   the process to signal (comm)  (default catbox)
#   POLL_SECONDS  how often to look             (default 2)
set -u

dir="${CONFIG_DIR:-/etc/catbox}"
name="${TARGET_NAME:-catbox}"
interval="${POLL_SECONDS:-2}"

log() { echo "reloader: $*"; }

# The directory ..data points at now, or nothing if it is not there (yet).
current() { readlink "$dir/..data" 2>/dev/null || true; }

# PIDs of processes named $name, read from /proc so that no procps is needed.
target_pids() {
    for d in /proc/[0-9]*; do
        read -r comm < "$d/comm" 2>/dev/null || continue
        [ "$comm" = "$name" ] && echo "${d#/proc/}"
    done
}

trap 'log "stopping"; exit 0' TERM INT

last=$(current)
log "watching $dir/..data (now ${last:-missing}) for $name, every ${interval}s"

while :; do
    sleep "$interval" &
    wait $!
    now=$(current)
    [ -n "$now" ] && [ "$now" != "$last" ] || continue
    pids=$(target_pids)
    if [ -z "$pids" ]; then
        # catbox is not running (it is restarting): it reads the new files when it starts.
        log "config changed to $now; no $name process running, it will read the new files when it starts"
        last=$now
        continue
    fi
    # shellcheck disable=SC2086 # one PID per word
    if kill -HUP $pids; then
        log "config changed ($last -> $now): sent SIGHUP to $name (pid $(echo $pids))"
        last=$now
    else
        log "config changed to $now but SIGHUP to $name (pid $(echo $pids)) failed; will retry"
    fi
done
