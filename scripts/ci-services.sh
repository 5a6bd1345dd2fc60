#!/usr/bin/env bash
# The services the test suite talks to: PostgreSQL (database `test`, trust auth) and Redis, both on
# 127.0.0.1 with their usual ports. Checks that they answer, starts them if they do not, creates
# what the tests need. Safe to run again; run by .ci/run before the tests.
set -uo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
PG_DB=test
REDIS_PORT=6379

wait_for() { # wait_for <what> <command...>: up to 20 s
  local what=$1
  shift
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "ci-services: $what did not come up" >&2
  return 1
}

# Every client call is bounded: a server that accepts and then never answers must fail the
# check, not hang the run.
export PGCONNECT_TIMEOUT=5
pg_up() { timeout 10 pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
redis_up() { [ "$(timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

if ! pg_up; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "ci-services: PostgreSQL is not installed (/etc/postgresql is empty)" >&2
    exit 1
  fi
  echo "ci-services: starting PostgreSQL $version"
  timeout 60 pg_ctlcluster --skip-systemctl-redirect "$version" main start || exit 1
  wait_for PostgreSQL pg_up || exit 1
fi

# The database the tests use (each test run makes its own schema in it and drops it).
psql_admin() { timeout 30 psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atq "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != "1" ]; then
  echo "ci-services: creating database $PG_DB"
  psql_admin -c "CREATE DATABASE $PG_DB" || exit 1
fi

if ! redis_up; then
  echo "ci-services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  timeout 30 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || exit 1
  wait_for Redis redis_up || exit 1
fi

echo "ci-services: PostgreSQL and Redis answer on 127.0.0.1"
