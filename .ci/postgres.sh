#!/usr/bin/env bash
# Starts a local PostgreSQL for the SQL store tests and prints, on stdout and
# nothing else, the line to eval:
#
#   eval "$(bash .ci/postgres.sh)"
#   # export UNLOQ2FA_POSTGRES_DSN='postgres://unloq2fa:…@127.0.0.1:5432/unloq2fa?sslmode=disable'
#
# Run as root (as CI does). Idempotent and quick on a second run: installs
# Debian's postgresql only when missing, creates the cluster only when
# missing, starts it only when down, and (re)creates the role and the
# database only when absent. All progress goes to stderr.
set -euo pipefail

ROLE="${UNLOQ2FA_PG_ROLE:-unloq2fa}"
DB="${UNLOQ2FA_PG_DB:-unloq2fa}"
PASSWORD="${UNLOQ2FA_PG_PASSWORD:-unloq2fa-test}"

log() { printf 'postgres.sh: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (it installs and starts PostgreSQL)"; exit 1
fi
case "$ROLE$DB$PASSWORD" in
  *[!A-Za-z0-9_-]*) log "role, database and password must be [A-Za-z0-9_-]"; exit 1 ;;
esac

# 1. Install.
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 || apt-get install -y postgresql >&2
fi
VER=$(ls /usr/lib/postgresql | sort -V | tail -n 1)

# 2. Cluster.
if ! pg_lsclusters -h | awk -v v="$VER" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
  log "creating cluster $VER/main"
  pg_createcluster "$VER" main >&2
fi
PORT=$(pg_lsclusters -h | awk -v v="$VER" '$1 == v && $2 == "main" { print $3 }')
STATUS=$(pg_lsclusters -h | awk -v v="$VER" '$1 == v && $2 == "main" { print $4 }')
if [ "$STATUS" != "online" ]; then
  log "starting cluster $VER/main on port $PORT"
  pg_ctlcluster "$VER" main start >&2
fi
for _ in $(seq 1 60); do
  if runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
  sleep 0.5
done
runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$PORT" || { log "PostgreSQL did not become ready"; exit 1; }

# 3. Role and database.
psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"; }
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
  log "creating role $ROLE"
  psql_admin -c "CREATE ROLE \"$ROLE\" LOGIN PASSWORD '$PASSWORD'" >&2
else
  psql_admin -c "ALTER ROLE \"$ROLE\" LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  log "creating database $DB"
  psql_admin -c "CREATE DATABASE \"$DB\" OWNER \"$ROLE\"" >&2
fi

DSN="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB?sslmode=disable"
# Check that the role can log in over TCP with its password.
runuser -u postgres -- env PGPASSWORD="$PASSWORD" \
  psql -X -q -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DB" -tAc 'SELECT 1' >/dev/null \
  || { log "cannot log in as $ROLE over TCP"; exit 1; }
log "ready: $VER/main on 127.0.0.1:$PORT, database $DB"
printf "export UNLOQ2FA_POSTGRES_DSN='%s'\n" "$DSN"
