#!/bin/sh
# IRC services' database, kept outside the cluster: a versioned Cloud Storage
# bucket holds a copy of atheme's services.db, written after every save, from
# which a new stack or a lost volume restores.
#   services-backup restore   before atheme starts: with no database on the volume, the bucket's copy (if any)
#   services-backup watch     beside atheme: each time the database changes (a save), upload it
# Environment:
#   BUCKET        the bucket's name
#   DATA_DIR      atheme's data directory, on the persistent volume (default /var/lib/atheme)
#   STORAGE_URL   Cloud Storage's JSON API (default https://storage.googleapis.com)
#   METADATA_URL  where the pod's Google access token comes from (Workload Identity's metadata server)
#   WATCH_SECONDS how often to look for a save (default 10)
set -eu
data="${DATA_DIR:-/var/lib/atheme}"
db="$data/services.db"
storage="${STORAGE_URL:-https://storage.googleapis.com}"
metadata="${METADATA_URL:-http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token}"
every="${WATCH_SECONDS:-10}"
object="services.db"

log() { echo "services-backup: $*" >&2; }

token() {
    curl -fsS -H "Metadata-Flavor: Google" "$metadata" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p'
}

restore() {
    if [ -s "$db" ]; then
        log "$db is there: nothing to restore"
        return 0
    fi
    code=$(curl -sS -o "$db.restoring" -w '%{http_code}' -H "Authorization: Bearer $(token)" \
        "$storage/storage/v1/b/$BUCKET/o/$object?alt=media")
    case "$code" in
        200) mv "$db.restoring" "$db"; log "restored $db from gs://$BUCKET/$object ($(wc -c < "$db") bytes)" ;;
        404) rm -f "$db.restoring"; log "no copy in gs://$BUCKET yet: atheme starts with an empty database" ;;
        *) rm -f "$db.restoring"; log "reading gs://$BUCKET/$object failed (HTTP $code): not starting on an empty database"; exit 1 ;;
    esac
}

upload() {
    # A copy first: atheme replaces the file whole on each save, never mid-write of this copy.
    cp "$db" "$data/.upload"
    code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $(token)" \
        -H "Content-Type: application/octet-stream" --data-binary "@$data/.upload" \
        "$storage/upload/storage/v1/b/$BUCKET/o?uploadType=media&name=$object")
    rm -f "$data/.upload"
    [ "$code" = 200 ]
}

watch() {
    last=""
    while :; do
        if [ -s "$db" ]; then
            now=$(cksum < "$db")
            if [ "$now" != "$last" ]; then
                if upload; then
                    last=$now
                    log "saved to gs://$BUCKET/$object"
                else
                    log "upload to gs://$BUCKET failed: trying again in ${every}s"
                fi
            fi
        fi
        sleep "$every"
    done
}

case "${1:-}" in
    restore) restore ;;
    watch) watch ;;
    *) echo "usage: services-backup restore|watch" >&2; exit 2 ;;
esac
