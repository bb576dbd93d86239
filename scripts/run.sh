#!/bin/sh
# run.sh - install build dependencies, build, and run the gateway on :9091 (in memory).
# Extra arguments are passed to the gateway, e.g. scripts/run.sh --log.level=debug
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
mkdir -p "$top/build"
cd "$top/build"
cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo .. >/dev/null
make -j"$(nproc 2>/dev/null || echo 2)" pushgateway
exec ./pushgateway "$@"
