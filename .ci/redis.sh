#!/usr/bin/env bash
# Starts a local Redis for the shared-backend tests and prints, on stdout and
# nothing else, the line to eval:
#
#   eval "$(bash .ci/redis.sh)"
#   # export UNLOQ2FA_REDIS_URL='redis://127.0.0.1:6379/0'
#
# Installs Debian's redis-server when missing and starts it (daemonized, no
# persistence, loopback only) unless one already answers on the port.
set -euo pipefail
PORT="${UNLOQ2FA_REDIS_PORT:-6379}"
log() { printf 'redis.sh: %s\n' "$*" >&2; }

if ! command -v redis-server >/dev/null 2>&1; then
  log "installing redis-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends redis-server >&2
fi
if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  log "redis already answers on port $PORT"
else
  log "starting redis-server on 127.0.0.1:$PORT"
  redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --logfile /tmp/unloq2fa-redis.log >&2
  for _ in $(seq 1 50); do
    redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$PORT" ping >/dev/null || { log "redis did not start"; exit 1; }
fi
echo "export UNLOQ2FA_REDIS_URL='redis://127.0.0.1:$PORT/0'"
