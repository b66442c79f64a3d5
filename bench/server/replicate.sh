#!/usr/bin/env bash
# Issue 26's benchmark: `replicore-server replicate` of DOCS records (initial, then 1,000
# changed) between two replicore-servers (URL to URL through a relay --state file, and a
# server's database file straight into another server), and between replicore-server and
# the LoopBack 3 reference server both ways (LB_DOCS records: its memory connector is
# quadratic in the number of changes), side by side in one run. Everything on 127.0.0.1.
#
#   bench/server/replicate.sh [path/to/replicore-server]
#
# Environment: DOCS=100000 LB_DOCS=2000 OUT_DIR=bench/server/results/issue26. Needs the
# LoopBack 3 packages of tests/interop (`npm ci` there). Writes OUT_DIR/replicate.json and
# OUT_DIR/replicate.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export REPLICORE_SERVER=${1:-${REPLICORE_SERVER:-$ROOT/build/replicore-server}}
[[ -x $REPLICORE_SERVER ]] || { echo "replicate.sh: no replicore-server at $REPLICORE_SERVER" >&2; exit 2; }
[[ -d $ROOT/tests/interop/node_modules/loopback ]] || {
  echo "replicate.sh: LoopBack 3 is not installed: (cd tests/interop && npm ci)" >&2; exit 2; }
cd "$ROOT"
exec node bench/server/replicate-bench.mjs --docs "${DOCS:-100000}" --lb-docs "${LB_DOCS:-2000}" \
  --out "${OUT_DIR:-$HERE/results/issue26}"
