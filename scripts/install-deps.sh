#!/bin/sh
# install-deps.sh - install what building and testing pushgateway-c needs.
#   scripts/install-deps.sh          build dependencies only
#   scripts/install-deps.sh --test   plus everything the test suite uses
# Debian/Ubuntu (apt) and RHEL/CentOS (yum/dnf; EL6 needs libevent2-devel and EPEL's jansson
# and lz4-devel).
set -e
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

if command -v apt-get >/dev/null 2>&1; then
    pkgs="build-essential cmake pkg-config libevent-dev libjansson-dev zlib1g-dev curl \
          libprotobuf-c-dev protobuf-c-compiler libyaml-dev libssl-dev libcrypt-dev liblz4-dev"
    if [ $want_test = 1 ]; then
        pkgs="$pkgs libcmocka-dev python3 python3-prometheus-client netcat-openbsd clang \
              libclang-rt-dev valgrind golang-go golang-github-prometheus-client-golang-dev \
              chromium nodejs npm rpm prometheus openssl"
    fi
    missing=
    for p in $pkgs; do
        # Node.js may come from outside Debian (a newer node with its own npm); Debian's
        # npm package conflicts with it, so a working command is enough.
        case $p in
        nodejs) command -v node >/dev/null 2>&1 && continue ;;
        npm) command -v npm >/dev/null 2>&1 && continue ;;
        esac
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
    fi
elif command -v yum >/dev/null 2>&1 || command -v dnf >/dev/null 2>&1; then
    y=$(command -v dnf || command -v yum)
    el=$(rpm -E '%{rhel}' 2>/dev/null || echo 0)
    if [ "$el" = 6 ]; then ev=libevent2-devel; else ev=libevent-devel; fi
    pkgs="gcc make cmake pkgconfig $ev jansson-devel zlib-devel curl protobuf-c-devel"
    pkgs="$pkgs protobuf-c-compiler libyaml-devel openssl-devel lz4-devel"
    # crypt.h and libcrypt come from libxcrypt from EL8 on (glibc-devel before).
    [ "$el" -ge 8 ] 2>/dev/null && pkgs="$pkgs libxcrypt-devel"
    [ $want_test = 1 ] && pkgs="$pkgs libcmocka-devel python3 nc valgrind openssl"
    $SUDO "$y" install -y $pkgs
else
    echo "install-deps.sh: no apt-get or yum; install libevent (>= 2.0.21, with libevent_openssl), jansson, zlib, protobuf-c (library and protoc-c), libyaml, OpenSSL, libcrypt, cmake and a C compiler by hand" >&2
    exit 1
fi

# The browser test's npm packages (tests/ui/package-lock.json: playwright-core, no browser
# download; it drives Debian's chromium). Without them t_ui_browser.sh is skipped.
if [ $want_test = 1 ] && command -v npm >/dev/null 2>&1; then
    top=$(cd "$(dirname "$0")/.." && pwd)
    (cd "$top/tests/ui" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error) ||
        echo "install-deps.sh: npm ci in tests/ui failed: the browser test will be skipped" >&2
fi
