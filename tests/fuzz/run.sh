#!/bin/sh
# run.sh - build every libFuzzer harness (tests/fuzz/fuzz_*.c) with clang, ASan and UBSan,
# and run each for SECONDS (default 30) on a scratch copy of its seed corpus
# (tests/fuzz/corpus/<name>/). Fails on the first crash, leak or timeout; the crashing input
# is left in the scratch directory and printed. A crash found becomes a regression test: add
# the input to tests/fuzz/corpus/<name>/ (every run replays the corpus first) and a unit test
# with the same bytes next to the module's other tests.
set -e
secs=${1:-30}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pgw-fuzz.XXXXXX")
trap 'rm -rf "$work"' 0 1 15
if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang not found, skipping" >&2
    exit 0
fi
sed -e 's/@PGW_VERSION@/fuzz/;s/@PGW_UPSTREAM_VERSION@/fuzz/;s/@PGW_REVISION@/fuzz/' \
    -e 's/@PGW_BRANCH@/fuzz/;s/@PGW_BUILD_DATE@/fuzz/' "$top/include/version.h.in" > "$work/version.h"
# The protobuf-c sources for proto/metrics.proto, generated as the CMake build does.
protoc-c --c_out="$work" -I"$top/proto" "$top/proto/metrics.proto" \
    "$top/proto/google/protobuf/timestamp.proto"
srcs="$(ls "$top"/src/*.c | grep -v '/main\.c$') $work/metrics.pb-c.c"
srcs="$srcs $work/google/protobuf/timestamp.pb-c.c"
# The web UI's embedded assets (ui/static), generated as the CMake build does.
cmake -DSRC_DIR="$top/ui/static" -DOUT="$work/ui_assets.c" -P "$top/cmake/embed_assets.cmake"
srcs="$srcs $work/ui_assets.c"
jansson_cflags=$(pkg-config --cflags jansson libevent zlib libprotobuf-c yaml-0.1 openssl \
    libevent_openssl)
libs="$(pkg-config --libs jansson libevent_openssl libevent zlib libprotobuf-c yaml-0.1 \
    openssl) -lcrypt"
status=0
for h in "$top"/tests/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c)
    short=${name#fuzz_}
    echo "fuzz: building $name"
    clang -g -O1 -std=gnu99 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=undefined -I"$top/include" -I"$work" $jansson_cflags \
        $srcs "$h" $libs -lm -lrt -o "$work/$name"
    mkdir -p "$work/corpus-$short"
    if [ -d "$top/tests/fuzz/corpus/$short" ]; then
        cp "$top/tests/fuzz/corpus/$short"/* "$work/corpus-$short/" 2>/dev/null || true
    fi
    echo "fuzz: running $name for ${secs}s"
    if ! (cd "$work" && "./$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=0 "corpus-$short" > "$work/$name.log" 2>&1); then
        echo "fuzz: $name FAILED"; tail -50 "$work/$name.log"
        ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null || true
        status=1
    else
        echo "fuzz: $name clean ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$name.log" || tail -1 "$work/$name.log"))"
    fi
done
exit $status
