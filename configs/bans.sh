# Bans that hold, sourced by reloader.sh (which sets config, health_host,
# health_port, health_timeout, index, state, log, target_pids and as_stack_oper,
# and calls hold_bans every round). catbox keeps K-lines in memory only: a daemon that
# restarts has none, and an oper's KLINE reaches only the daemons linked then.
# So, as the stack's oper, on its own daemon:
# - the stack's list (bans.conf in the config Secret: "ban = <expires, Unix
#   seconds, 0 for never> <user@host> <reason>") is applied: each ban the daemon
#   does not hold (STATS k) gets a KLINE; each the list no longer has, or whose
#   time is past, an UNKLINE. At once when catbox has started or the list has
#   changed, and every BAN_SECONDS in any case (an expiry needs no change).
# - when catbox has started, the K-lines opers set by hand are copied from
#   another daemon of the region that is up (STATS k there), so that they hold
#   on this one too.
# KLINE and UNKLINE propagate, so the other daemons hear of each; catbox ignores
# a K-line it holds already.
#   BAN_SECONDS  how often the list is made to hold at the latest (default 30)

bans_every="${BAN_SECONDS:-30}"
# The catbox process and the config version the list last held on, and when to look again.
bans_pid=""
bans_version=""
bans_next=0
# The K-lines the daemon at $1:$2 holds, "user@host reason" a line; fails when it did not answer as an oper.
held_klines() {
    replies=$(printf 'STATS k\r\n' | as_stack_oper "$1" "$2" "$3")
    # 381: opered; 219: the end of the STATS report.
    printf '%s\n' "$replies" | grep -q '^:[^ ]* 381 ' && printf '%s\n' "$replies" | grep -q '^:[^ ]* 219 ' || return 1
    printf '%s\n' "$replies" | sed -n 's/^:[^ ]* 216 [^ ]* K \([^ ]*\) \* \([^ ]*\) :\(.*\)$/\2@\1 \3/p'
}

# Another daemon of this region, "host port" a line (servers-n.conf: name = host,port,password,0;
# IRC services are listed at port 1, where nothing answers).
region_daemons() {
    sed -n 's/^[^ =]* = \([^,]*\),\([^,]*\),[^,]*,0$/\1 \2/p' "$config/servers-${index:-0}.conf" 2>/dev/null | grep -v ' 1$'
}

# Whether the lines $1 ("user@host …") hold the mask $2.
has_mask() {
    printf '%s\n' "$1" | awk -v m="$2" '$1 == m { found = 1 } END { exit !found }'
}

hold_bans() {
    list="$config/bans.conf"
    [ -f "$list" ] && [ -f "$config/opers.conf" ] || return 0
    pid=$(target_pids)
    [ -n "$pid" ] || return 0
    version=$(current)
    now=$(date +%s)
    [ "$pid" != "$bans_pid" ] || [ "$version" != "$bans_version" ] || [ "$now" -ge "$bans_next" ] || return 0
    nick="$(sed -n 's/^nick = //p' "$list")${index:-0}"
    held=$(held_klines "$health_host" "$health_port" "$nick") || return 0
    # The list now, "user@host reason" a line: in force, and past its time.
    wanted=$(sed -n 's/^ban = \([0-9]*\) \(.*\)$/\1 \2/p' "$list" | awk -v now="$now" '$1 == 0 || $1 > now' | cut -d' ' -f2-)
    expired=$(sed -n 's/^ban = \([0-9]*\) \([^ ]*\) .*$/\1 \2/p' "$list" | awk -v now="$now" '$1 != 0 && $1 <= now { print $2 }')
    # Past its time, or listed before and no longer: the list's to lift.
    unlisted=$(printf '%s\n%s\n' "$expired" "$(cat "$state/bans.listed" 2>/dev/null)" | sort -u | while read -r mask; do
        [ -n "$mask" ] && ! has_mask "$wanted" "$mask" && echo "$mask"
    done)
    copied=""
    if [ "$pid" != "$bans_pid" ]; then
        # catbox has started: what opers set by hand, from a daemon of the region that kept it.
        for daemon in $(region_daemons | tr ' ' ','); do
            copied=$(held_klines "${daemon%,*}" "${daemon#*,}" "${nick}c") && break
            copied=""
        done
    fi
    commands=$(
        printf '%s\n%s\n' "$wanted" "$copied" | while read -r mask reason; do
            [ -n "$mask" ] && ! has_mask "$unlisted" "$mask" && ! has_mask "$held" "$mask" || continue
            held=$(printf '%s\n%s' "$held" "$mask")
            printf 'KLINE %s :%s\r\n' "$mask" "$reason"
        done
        printf '%s\n' "$unlisted" | while read -r mask; do
            [ -n "$mask" ] && has_mask "$held" "$mask" && printf 'UNKLINE %s\r\n' "$mask"
        done
    )
    if [ -n "$commands" ]; then
        # $(…) took the last line's \n: give it back.
        printf '%s\n' "$commands" | as_stack_oper "$health_host" "$health_port" "$nick" | grep -q '^:[^ ]* 381 ' || return 0
        log "bans: $(printf '%s\n' "$commands" | grep -c '^KLINE') K-line(s) applied, $(printf '%s\n' "$commands" | grep -c '^UNKLINE') lifted"
    fi
    printf '%s\n' "$wanted" | cut -d' ' -f1 | grep . >"$state/bans.listed.new" || :
    mv "$state/bans.listed.new" "$state/bans.listed"
    bans_pid=$pid
    bans_version=$version
    bans_next=$((now + bans_every))
}
