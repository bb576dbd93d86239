#!/bin/sh
# rpm-smoke.sh - build packaging/pushgateway.spec with Debian's rpmbuild for "rhel 6" (SysV
# init) and "rhel 7" (systemd), and check the packages: no macro left unexpanded in the
# scriptlets (Debian has no systemd RPM macros: a stub file stands in for EL7's), the files
# of each branch, %config(noreplace), ownership of the state directories. --nodeps because
# the rpm database knows none of the Debian build dependencies; the EL path macros are
# defined as on EL (Debian's rpm puts init scripts in /etc/init.d). The binaries are linked
# against Debian's libraries: this proves the spec, not an installable EL package.
#   scripts/rpm-smoke.sh            both targets
#   scripts/rpm-smoke.sh 7          one target
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
spec="$top/packaging/pushgateway.spec"
if ! command -v rpmbuild >/dev/null 2>&1; then
    echo "rpm-smoke: rpmbuild not found (Debian: apt-get install rpm)" >&2
    exit 1
fi
targets=${*:-6 7}
work=$(mktemp -d "${TMPDIR:-/tmp}/pgw-rpm.XXXXXX")
trap 'rm -rf "$work"' 0 1 15
fail=0

bad() {
    echo "rpm-smoke: FAIL: $*" >&2
    fail=1
}

version=$(sed -n 's/^Version: *//p' "$spec")
cmake_version=$(sed -n 's/^set(PGW_VERSION "\(.*\)")$/\1/p' "$top/CMakeLists.txt")
[ "$version" = "$cmake_version" ] ||
    bad "spec Version $version differs from CMakeLists.txt PGW_VERSION $cmake_version"

# The source tarball rpmbuild -ba expects: the tree without build directories.
mkdir -p "$work/SOURCES"
tar -C "$top" --exclude='./build*' --exclude=./.git --exclude='*/node_modules' \
    --exclude=./tests/fuzz/corpus-work --transform "s,^\\.,pushgateway-$version," \
    -czf "$work/SOURCES/pushgateway-$version.tar.gz" .

# EL7's systemd macros, reduced to what the spec uses (systemd 219 macros.systemd).
cat >"$work/macros.systemd" <<'EOF'
%_unitdir /usr/lib/systemd/system
%_tmpfilesdir /usr/lib/tmpfiles.d
%systemd_requires Requires(post): systemd\
Requires(preun): systemd\
Requires(postun): systemd
%systemd_post() if [ $1 -eq 1 ] ; then /usr/bin/systemctl preset %{?*} >/dev/null 2>&1 || : ; fi
%systemd_preun() if [ $1 -eq 0 ] ; then /usr/bin/systemctl --no-reload disable %{?*} >/dev/null 2>&1 || : ; /usr/bin/systemctl stop %{?*} >/dev/null 2>&1 || : ; fi
%systemd_postun_with_restart() /usr/bin/systemctl daemon-reload >/dev/null 2>&1 || : ; if [ $1 -ge 1 ] ; then /usr/bin/systemctl try-restart %{?*} >/dev/null 2>&1 || : ; fi
EOF

for el in $targets; do
    top_el="$work/el$el"
    mkdir -p "$top_el/SOURCES"
    cp "$work/SOURCES"/*.tar.gz "$top_el/SOURCES/"
    set -- --define "_topdir $top_el" --define "rhel $el" --define "dist .el$el" \
        --define "_initddir /etc/rc.d/init.d" --define "_initrddir /etc/rc.d/init.d" \
        --define "_sharedstatedir /var/lib" --define "debug_package %{nil}"
    [ "$el" -ge 7 ] && set -- "$@" --load "$work/macros.systemd"
    echo "== rpmbuild for rhel $el"
    if ! rpmbuild -ba --nodeps "$@" "$spec" >"$work/build-el$el.log" 2>&1; then
        tail -40 "$work/build-el$el.log"
        bad "rpmbuild for rhel $el failed"
        continue
    fi
    rpmf=$(ls "$top_el"/RPMS/*/pushgateway-"$version"-1.el"$el".*.rpm)
    ls "$top_el"/SRPMS/*.src.rpm >/dev/null || bad "el$el: no source RPM"
    scripts=$(rpm -qp --scripts "$rpmf")
    files=$(rpm -qp --qf '[%{FILENAMES} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEMODES:perms} %{FILEFLAGS:fflags}\n]' "$rpmf")
    case $scripts in
    *%*) bad "el$el: a macro is left unexpanded in the scriptlets:$(printf '\n%s' "$scripts" | grep %)" ;;
    esac
    printf '%s\n' "$files" | grep -q '^/usr/bin/pushgateway ' || bad "el$el: no /usr/bin/pushgateway"
    printf '%s\n' "$files" | grep -q '^/etc/sysconfig/pushgateway root:root -rw-r--r-- cn$' ||
        bad "el$el: /etc/sysconfig/pushgateway is not %config(noreplace) 0644"
    printf '%s\n' "$files" | grep -q '^/etc/logrotate.d/pushgateway .* cn$' ||
        bad "el$el: no logrotate file"
    printf '%s\n' "$files" | grep -q '^/var/lib/pushgateway pushgateway:pushgateway drwxr-x--- ' ||
        bad "el$el: /var/lib/pushgateway not owned by pushgateway 0750"
    printf '%s\n' "$files" | grep -q '^/var/log/pushgateway pushgateway:pushgateway drwxr-x--- ' ||
        bad "el$el: /var/log/pushgateway not owned by pushgateway 0750"
    printf '%s\n' "$scripts" | grep -q 'useradd -r -g pushgateway' || bad "el$el: %pre creates no user"
    if [ "$el" -ge 7 ]; then
        for f in /usr/lib/systemd/system/pushgateway.service /usr/lib/systemd/system/pushgateway.socket \
            /usr/lib/tmpfiles.d/pushgateway.conf; do
            printf '%s\n' "$files" | grep -q "^$f " || bad "el$el: missing $f"
        done
        printf '%s\n' "$files" | grep -q '^/etc/rc.d/init.d/' && bad "el$el: ships the init script"
        printf '%s\n' "$files" | grep -q '^/var/run/pushgateway .* g$' ||
            bad "el$el: /var/run/pushgateway is not %ghost"
        printf '%s\n' "$scripts" | grep -q 'systemctl preset pushgateway.service' ||
            bad "el$el: %post does not preset the unit"
        printf '%s\n' "$scripts" | grep -q 'try-restart pushgateway.service' ||
            bad "el$el: %postun does not try-restart"
        grep -q 'unit_test_sysconfig' "$work/build-el$el.log" || bad "el$el: %check ran no unit test"
    else
        printf '%s\n' "$files" | grep -q '^/etc/rc.d/init.d/pushgateway root:root -rwxr-xr-x ' ||
            bad "el$el: no executable /etc/rc.d/init.d/pushgateway"
        printf '%s\n' "$files" | grep -q '^/usr/lib/systemd/' && bad "el$el: ships systemd units"
        printf '%s\n' "$files" | grep -q '^/var/run/pushgateway pushgateway:pushgateway drwxr-xr-x ' ||
            bad "el$el: /var/run/pushgateway not owned by pushgateway"
        printf '%s\n' "$scripts" | grep -q '/sbin/chkconfig --add pushgateway' ||
            bad "el$el: %post does not chkconfig --add"
        printf '%s\n' "$scripts" | grep -q '/sbin/chkconfig --del pushgateway' ||
            bad "el$el: %preun does not chkconfig --del"
        printf '%s\n' "$scripts" | grep -q 'service pushgateway condrestart' ||
            bad "el$el: %postun does not condrestart"
    fi
    [ $fail = 0 ] && echo "rpm-smoke: rhel $el: $(basename "$rpmf") ok"
done
if [ $fail != 0 ]; then
    echo "rpm-smoke: FAILED" >&2
    exit 1
fi
echo "rpm-smoke: all targets built and checked"
