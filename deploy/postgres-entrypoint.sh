#!/bin/sh
# PostgreSQL for Netra, in netra-postgres (deploy/build-base.sh copies this in). The first start creates the
# cluster in $PGDATA (a volume) with the role and database from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB;
# later starts just run the server. Runs as root only long enough to fix the volume's owner.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=netra}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

if [ "$(id -u)" = 0 ]; then
    install -d -o postgres -g postgres -m 700 "$PGDATA"
    chown -R postgres:postgres "$PGDATA"
    install -d -o postgres -g postgres -m 2775 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "POSTGRES_PASSWORD is not set: the first start creates role $POSTGRES_USER with it" >&2
        exit 1
    fi
    "$BIN/initdb" --pgdata="$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    cat >>"$PGDATA/postgresql.conf" <<CONF

# netra-postgres
listen_addresses = '*'
password_encryption = scram-sha-256
# no WAL archive unless the operator sets one up (docs/deploy.md, Backups): nothing in it names a reporter,
# but it keeps every old version of every row, purged reports' sealed text included
archive_mode = off
CONF
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    "$BIN/pg_ctl" --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait start >/dev/null
    # the password is read from the environment by psql (\getenv) and quoted by it: never on a command line
    psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --username=postgres --dbname=postgres \
        --set user="$POSTGRES_USER" --set db="$POSTGRES_DB" <<'SQL'
\getenv password POSTGRES_PASSWORD
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL
    "$BIN/pg_ctl" --pgdata="$PGDATA" --mode=fast --wait stop >/dev/null
    echo "created database $POSTGRES_DB owned by $POSTGRES_USER in $PGDATA"
fi

unset POSTGRES_PASSWORD
exec "$BIN/postgres" -D "$PGDATA" "$@"
