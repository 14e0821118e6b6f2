#!/bin/sh
# Runs beside catbox in the same pod (shareProcessNamespace) and does by itself
# what the article did by hand:
# - reload: kubelet updates a Secret volume atomically by pointing the `..data`
#   symlink at a new timestamped directory, so the target of that one link
#   changes exactly once per update; each change, in any of the watched mounts
#   (the config Secret, the issued certificate's Secret), gets catbox one SIGHUP
#   (the article's `kubectl exec … pkill -HUP catbox`).
# - watchdog: a frozen or deadlocked catbox still accepts TCP connections (the
#   kernel does that), so a TCP probe passes. Every HEALTH_SECONDS this speaks
#   IRC to it instead: an unregistered PING gets "451 You have not registered"
#   from catbox's main loop. While catbox answers, $STATE_DIR/healthy exists
#   (the pod's readiness probe looks for it); after HEALTH_FAILURES failed
#   checks in a row, catbox is killed so that kubelet restarts it.
# - one link between two regions: on hub n > 0 of a region that links to others
#   (relink-n.conf in the config Secret names the hubs below it), every
#   RELINK_SECONDS this asks its daemon and those hubs, as a client, which other
#   regions' hubs each links to directly (LINKS, hop 1); while a lower hub holds
#   such a link, it drops its own with an oper's SQUIT. catbox dials the servers
#   it lists in random order, so two hubs of a region can both link out before
#   they link to each other, and the region's own daemons then reach each other
#   only through the other region; dropped, this hub links back inside its region.
# - bans that hold: the stack's ban list, and the K-lines opers set by hand, made
#   to hold on this daemon (bans.sh, beside this script).
#
# POSIX sh with nc and timeout (busybox in the pod). Environment:
#   CONFIG_DIR       the mounted Secrets, space-separated         (default /etc/catbox)
#   TARGET_NAME      the process to signal (comm)                (default catbox)
#   POLL_SECONDS     how often to look at ..data                 (default 2)
#   HEALTH_HOST      where catbox's plaintext port is reached    (default 127.0.0.1)
#   HEALTH_PORT      that port                                   (default 6667)
#   HEALTH_SECONDS   how often to check that catbox answers      (default 15)
#   HEALTH_TIMEOUT   how long an answer may take, seconds        (default 5)
#   HEALTH_FAILURES  failed checks in a row before the kill      (default 3)
#   STATE_DIR        a writable directory for "healthy"          (default /run/catbox-gke)
#   POD_NAME         this pod's name, <name>-<n>: n is the daemon (no relinking without it)
#   RELINK_SECONDS   how often a hub checks the links to other regions (default 5)
#   BAN_SECONDS      see bans.sh
set -u

dirs="${CONFIG_DIR:-/etc/catbox}"
name="${TARGET_NAME:-catbox}"
interval="${POLL_SECONDS:-2}"
health_host="${HEALTH_HOST:-127.0.0.1}"
health_port="${HEALTH_PORT:-6667}"
health_every="${HEALTH_SECONDS:-15}"
health_timeout="${HEALTH_TIMEOUT:-5}"
max_failures="${HEALTH_FAILURES:-3}"
state="${STATE_DIR:-/run/catbox-gke}"
relink_every="${RELINK_SECONDS:-5}"
index="${POD_NAME:-}"
index="${index##*-}"
# The config Secret: the first of the watched mounts.
config="${dirs%% *}"

log() { echo "reloader: $*"; }

# Where each mount's ..data points now (nothing for a mount not there yet), in one line.
current() {
    out=""
    for d in $dirs; do out="$out $(readlink "$d/..data" 2>/dev/null)"; done
    echo "${out# }"
}

# PIDs of processes named $name, read from /proc so that no procps is needed.
target_pids() {
    for d in /proc/[0-9]*; do
        read -r comm < "$d/comm" 2>/dev/null || continue
        [ "$comm" = "$name" ] && echo "${d#/proc/}"
    done
}

reload() {
    now=$(current)
    [ "$now" != "$last" ] || return 0
    # No mount there yet: nothing to reload.
    case "$now" in *[!\ ]*) ;; *) return 0 ;; esac
    pids=$(target_pids)
    if [ -z "$pids" ]; then
        # catbox is not running (it is restarting): it reads the new files when it starts.
        log "config changed to $now; no $name process running, it will read the new files when it starts"
        last=$now
        return 0
    fi
    # shellcheck disable=SC2086 # one PID per word
    if kill -HUP $pids; then
        log "config changed ($last -> $now): sent SIGHUP to $name (pid $(echo $pids))"
        last=$now
    else
        log "config changed to $now but SIGHUP to $name (pid $(echo $pids)) failed; will retry"
    fi
}

# Does catbox's main loop answer? QUIT ends the exchange, so catbox logs one short connection.
answers() {
    printf 'PING :watchdog\r\nQUIT\r\n' | timeout "$health_timeout" nc "$health_host" "$health_port" 2>/dev/null | grep -q ' 451 '
}

check_health() {
    pids=$(target_pids)
    if [ -z "$pids" ]; then
        rm -f "$state/healthy"
        failures=0
        return 0
    fi
    if answers; then
        [ "$failures" -gt 0 ] && log "$name answers again"
        failures=0
        : > "$state/healthy"
        return 0
    fi
    failures=$((failures + 1))
    rm -f "$state/healthy"
    log "health check failed ($failures of $max_failures): $name did not answer IRC on $health_host:$health_port within ${health_timeout}s"
    if [ "$failures" -ge "$max_failures" ]; then
        # shellcheck disable=SC2086 # one PID per word
        log "$name (pid $(echo $pids)) is hung: killing it so that kubelet restarts it"
        kill -KILL $pids
        failures=0
    fi
}

# The user every IRC session of this script registers as: a ban that matches it (with
# 127.0.0.1) is refused by the config check, so no ban shuts the reloader out of its daemon.
session_user="bans"

# One exchange with the daemon at $1:$2 as client $3: the commands on stdin, catbox's
# replies on stdout. QUIT ends it once catbox has answered them.
as_client() {
    { printf 'NICK %s\r\nUSER %s 0 * :%s\r\n' "$3" "$session_user" "$session_user"; cat; printf 'QUIT\r\n'; } |
        timeout "$health_timeout" nc "$1" "$2" 2>/dev/null | tr -d '\r'
}

# The same as the stack's own oper (relinker in opers.conf).
as_stack_oper() {
    password=$(sed -n 's/^relinker = //p' "$config/opers.conf")
    { printf 'OPER relinker %s\r\n' "$password"; cat; } | as_client "$@"
}

# The servers the daemon at $1:$2 sees, "name hops" a line (itself at 0), asked as client $3.
links_of() {
    printf 'LINKS\r\n' | as_client "$1" "$2" "$3" | awk '$2 == "364" { sub(/^:/, "", $6); print $5, $6 }'
}

# Of the servers $1 (links_of's lines), the peer regions' hubs linked directly.
cross_links() {
    peers=" $(sed -n 's/^\([^ =]*\) = .*,1$/\1/p' "$config/servers-$index.conf" 2>/dev/null | tr '\n' ' ')"
    printf '%s\n' "$1" | awk -v peers="$peers" '$2 == 1 && index(peers, " " $1 " ") { print $1 }'
}

relink() {
    conf="$config/relink-$index.conf"
    [ -f "$conf" ] && [ -n "$(target_pids)" ] || return 0
    nick=$(sed -n 's/^nick = //p' "$conf")
    seen=$(links_of "$health_host" "$health_port" "${nick}m")
    mine=$(cross_links "$seen")
    [ -n "$mine" ] || return 0
    self=$(printf '%s\n' "$seen" | awk '$2 == 0 { print $1 }')
    holder=""
    for hub in $(sed -n 's/^\([^ =]*\) = \([^,]*\),\([^,]*\),lower-hub$/\1,\2,\3/p' "$conf"); do
        rest="${hub#*,}"
        if [ -n "$(cross_links "$(links_of "${rest%,*}" "${rest#*,}" "${nick}l")")" ]; then
            holder="${hub%%,*}"
            holder_at="${rest%,*} ${rest#*,}"
            break
        fi
    done
    [ -n "$holder" ] || return 0
    for server in $mine; do
        log "$holder already links this region to the others: dropping this hub's link to $server"
        printf 'SQUIT %s :one link between two regions\r\n' "$server" | as_stack_oper "$health_host" "$health_port" "${nick}s" >/dev/null
    done
    # Back inside the region at once: CONNECT to the holder the moment it no longer sees
    # this hub (it refuses a link from a server it still knows), before the daemons' own
    # dials (each once per connect-attempt-time, to a server picked at random) link this
    # hub out again. A fixed second's wait left them that time, and a fault often took
    # several drops to put right.
    until_s=$(($(date +%s) + health_timeout))
    # shellcheck disable=SC2086 # host and port, two words
    while [ "$(date +%s)" -le "$until_s" ] &&
        links_of $holder_at "${nick}w" | awk -v s="$self" '$1 == s { found = 1 } END { exit !found }'; do
        sleep 0.1
    done
    printf 'CONNECT %s\r\n' "$holder" | as_stack_oper "$health_host" "$health_port" "${nick}c" >/dev/null
}

# shellcheck source=configs/bans.sh
. "${0%/*}/bans.sh"

trap 'log "stopping"; exit 0' TERM INT

mkdir -p "$state"
rm -f "$state/healthy"
last=$(current)
failures=0
next_check=0
next_relink=0
log "watching ..data in $dirs (now ${last:-missing}) for $name, every ${interval}s; health check every ${health_every}s"

while :; do
    sleep "$interval" &
    wait $!
    reload
    hold_bans
    now_s=$(date +%s)
    if [ -n "$index" ] && [ "$now_s" -ge "$next_relink" ]; then
        next_relink=$((now_s + relink_every))
        relink
    fi
    [ "$now_s" -ge "$next_check" ] || continue
    next_check=$((now_s + health_every))
    check_health
done
