# Sourced by .ci/run (and usable by hand: `source .ci/postgres.sh && pg_up`): a throwaway PostgreSQL
# cluster on loopback for the store tests. pg_up installs PostgreSQL from Debian's packages when no
# initdb is found, runs initdb into a temporary folder as the postgres user (postgres refuses to run
# as root), starts it on a free port and exports PROMOREADY_TEST_PG_URL; pg_down stops it and removes
# the folder. Each step that fails says which and returns non-zero.

PG_DIR=
PG_CTL=()

pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

pg_up() {
    local bin port
    if ! bin=$(pg_bin); then
        echo "ci: installing PostgreSQL from Debian's packages" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null ||
            { echo "ci: cannot install postgresql" >&2; return 1; }
        bin=$(pg_bin) || { echo "ci: postgresql installed, but no initdb found" >&2; return 1; }
    fi
    PG_DIR=$(mktemp -d /tmp/promoready-pg.XXXXXX)
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    local as=()
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$PG_DIR"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U promoready --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 ||
        { echo "ci: initdb failed:" >&2; cat "$PG_DIR/initdb.log" >&2; return 1; }
    "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=on" start >/dev/null ||
        { echo "ci: PostgreSQL did not start:" >&2; cat "$PG_DIR/server.log" >&2; return 1; }
    PG_CTL=("${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data")
    export PROMOREADY_TEST_PG_URL="postgresql+psycopg://promoready@127.0.0.1:$port/postgres"
    echo "ci: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

pg_down() {
    if [ -n "${PG_DIR:-}" ]; then
        "${PG_CTL[@]}" stop -m fast >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
        PG_DIR=
    fi
}
