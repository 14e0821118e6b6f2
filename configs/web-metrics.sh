#!/bin/sh
# The web client's metrics, for Prometheus: a CGI script that busybox httpd runs
# beside The Lounge (which has none of its own) at /cgi-bin/metrics. It reads the
# pod's own sockets: every container of a pod shares its network namespace, so
# /proc/net/tcp here lists The Lounge's.
#   IRC_ADDRESS, IRC_PORT  where The Lounge dials the network (an IPv4 address: the client Service's)
#   WEB_PORT               where browsers reach The Lounge
set -u

# An IPv4 address and a port as /proc/net/tcp shows them: the address's bytes reversed, in hex.
proc_address() {
    echo "$1" | awk -F. -v port="$2" '{ printf "%02X%02X%02X%02X:%04X\n", $4, $3, $2, $1, port }'
}

irc=$(proc_address "$IRC_ADDRESS" "$IRC_PORT")
web=$(printf '%04X' "$WEB_PORT")
# Columns: sl, local address, remote address, state (01 established, 0A listening).
counts=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v irc="$irc" -v web=":$web" '
    $4 == "01" && $3 == irc { users++ }
    $4 == "01" && substr($2, length($2) - 4) == web { browsers++ }
    $4 == "0A" && substr($2, length($2) - 4) == web { listening = 1 }
    END { printf "%d %d %d\n", users, browsers, listening }')
set -- $counts

printf 'Content-Type: text/plain; version=0.0.4\r\n\r\n'
cat <<METRICS
# HELP catbox_web_up 1 while The Lounge listens for browsers.
# TYPE catbox_web_up gauge
catbox_web_up $3
# HELP catbox_web_users Web users connected to the network: The Lounge's connections to it, one a user.
# TYPE catbox_web_users gauge
catbox_web_users $1
# HELP catbox_web_browser_connections Browsers' connections to The Lounge (a page holds one, more while it loads).
# TYPE catbox_web_browser_connections gauge
catbox_web_browser_connections $2
METRICS
