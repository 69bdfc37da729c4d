#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for tests, benchmarks and load runs.
#
#   Scripts/postgres.sh start DIR   initdb + pg_ctl in DIR on a free port (the same one again
#                                   for a DIR started before); prints the URL
#   Scripts/postgres.sh stop DIR    stops it (DIR stays; remove it yourself)
#   Scripts/postgres.sh restart DIR stops it if it runs and starts it again on the same port
#   Scripts/postgres.sh start-tls DIR
#                                   as start, serving TLS too: a throwaway CA (DIR/tls/ca.crt, for
#                                   sslrootcert) signs the server's certificate for localhost
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user that
# Debian's package creates. Needs Debian's `postgresql` package (.ci/run installs it).
set -euo pipefail

command=${1:?usage: $0 start|start-tls|stop|restart DIR}
dir=${2:?usage: $0 start|start-tls|stop|restart DIR}

bindir=""
for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$candidate/initdb" ] && { bindir=$candidate; break; }
done
if [ -z "$bindir" ]; then
    initdb_path=$(command -v initdb || true)
    [ -n "$initdb_path" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
    bindir=$(dirname "$(readlink -f "$initdb_path")")
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_ctl_run() {
    local port options
    port=$(cat "$dir/port")
    options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300"
    [ -f "$dir/tls/server.crt" ] && options="$options -c ssl=on -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key"
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$options" start >/dev/null
}

# A CA and the server's certificate it signs, made once per DIR (as the cluster's owner, who
# must own the key).
make_certificates() {
    [ -f "$dir/tls/server.crt" ] && return 0
    as_owner mkdir -p "$dir/tls"
    as_owner sh -c "cd '$dir/tls' && umask 077 &&
        printf 'subjectAltName=DNS:localhost\n' > server.ext &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj '/CN=switchboard test CA' \
            -keyout ca.key -out ca.crt &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=localhost' -keyout server.key -out server.csr &&
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 -extfile server.ext -out server.crt &&
        chmod 644 ca.crt server.crt" >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }
}

case "$command" in
start|start-tls)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -d "$dir/data" ]; then
        as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # A cluster started again keeps its port, so the URL its clients hold stays right.
    [ "$command" = start-tls ] && make_certificates
    [ -s "$dir/port" ] || python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' >"$dir/port"
    pg_ctl_run || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
    ;;
stop)
    [ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
restart)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    pg_ctl_run || { cat "$dir/server.log" >&2; exit 1; }
    ;;
*)
    echo "usage: $0 start|start-tls|stop|restart DIR" >&2
    exit 2
    ;;
esac
