#!/usr/bin/env bash
# Install (if needed) and start PostgreSQL on loopback, with a user and database for the
# server tests. Prints one line for the caller to eval:
#     eval "$(bash scripts/ci_postgres.sh)"   # sets SYNTHERA_TEST_POSTGRES_URL
# Idempotent: a second run reuses the running cluster, user and database.
set -euo pipefail
log() { echo "ci_postgres: $*" >&2; }

DB_USER=${SYNTHERA_PG_USER:-synthera}
DB_PASSWORD=${SYNTHERA_PG_PASSWORD:-synthera-test}
DB_NAME=${SYNTHERA_PG_DB:-synthera_test}

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "installing postgresql from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    log "creating cluster $version/main"
    pg_createcluster "$version" main >&2
fi
# Loopback only: nothing outside this machine can reach the test database.
conf="/etc/postgresql/$version/main/postgresql.conf"
grep -q "^listen_addresses = '127.0.0.1'" "$conf" || echo "listen_addresses = '127.0.0.1'" >>"$conf"
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting cluster $version/main on 127.0.0.1:$port"
    pg_ctlcluster "$version" main start >&2
fi

psql_admin() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }
for _ in $(seq 30); do psql_admin -c "select 1" >/dev/null 2>&1 && break; sleep 1; done
if [ "$(psql_admin -c "select 1 from pg_roles where rolname='$DB_USER'")" != 1 ]; then
    psql_admin -c "create role $DB_USER login password '$DB_PASSWORD'" >&2
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname='$DB_NAME'")" != 1 ]; then
    psql_admin -c "create database $DB_NAME owner $DB_USER" >&2
fi
log "ready: database $DB_NAME on 127.0.0.1:$port"
echo "export SYNTHERA_TEST_POSTGRES_URL=postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$port/$DB_NAME"
