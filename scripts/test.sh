#!/bin/sh
# test.sh - install dependencies, build with warnings as errors, and run the whole test suite:
# unit tests and black-box tests (ctest), the same under ASan+UBSan, an EL6 API-floor compile,
# an RPM smoke build of packaging/pushgateway.spec for EL6 and EL7, and each fuzzer for a
# bounded time.  FUZZ_SECONDS (default 30) bounds each fuzzer run.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
"$top/scripts/install-deps.sh" --test

echo "== build (gcc, -Werror) and test"
mkdir -p "$top/build-test" && cd "$top/build-test"
cmake -DWERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo .. >/dev/null
make -j"$jobs"
ctest --output-on-failure -j"$jobs"

echo "== ASan+UBSan build and test"
mkdir -p "$top/build-asan" && cd "$top/build-asan"
cmake -DWERROR=ON -DENABLE_ASAN=ON -DCMAKE_BUILD_TYPE=Debug .. >/dev/null
make -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j"$jobs"

echo "== EL6 API floor (poisoned newer glibc/libevent/jansson symbols)"
mkdir -p "$top/build-el6" && cd "$top/build-el6"
cmake -DWERROR=ON -DEL6_COMPAT_CHECK=ON -DBUILD_TESTING=OFF .. >/dev/null
make -j"$jobs" pushgateway

echo "== RPM smoke build (rhel 6: SysV init, rhel 7: systemd)"
sh "$top/scripts/rpm-smoke.sh"

echo "== fuzzers"
"$top/tests/fuzz/run.sh" "${FUZZ_SECONDS:-30}"

echo "== all test stages passed"
