#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server of its own (Debian's `postgresql`):
# a fresh cluster in a temporary folder, listening on 127.0.0.1 and a Unix socket in that
# folder only, with one database; stopped and removed when the command ends, whatever its
# exit. The command finds it in $REPLICORE_PG_URL (postgresql://...).
#
#   tests/pg/with-postgres.sh CMD [ARGS...]
#
# As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
# PG_PORT (default 54329) picks the TCP port.
set -euo pipefail

bin=""
for candidate in /usr/lib/postgresql/*/bin; do [[ -x $candidate/initdb ]] && bin=$candidate; done
[[ -n $bin ]] || { echo "with-postgres.sh: no PostgreSQL server (apt-get install postgresql)" >&2; exit 2; }
port=${PG_PORT:-54329}
dir=$(mktemp -d "${TMPDIR:-/tmp}/replicore-pg.XXXXXX")
as_owner=()
if [[ $(id -u) == 0 ]]; then
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale C.UTF-8 \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# fsync stays on: the kill -9 tests rely on what PostgreSQL promises.
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }
"${as_owner[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres replicore_test
export REPLICORE_PG_URL="postgresql://postgres@127.0.0.1:$port/replicore_test"
echo "with-postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $REPLICORE_PG_URL" >&2
"$@"
