#!/bin/bash
# Build the Debian package with packaging/debian/build.sh, run lintian on it
# (any error fails), and check what it holds: the binary, the enabled systemd
# unit, /etc/default/oomguard as a conffile, the man page, both completions
# and the executable hooks.
#
#     tests/packaging/check-deb.sh [SOURCE_ROOT]
#
# Exits 77 (skipped, with one line saying why) when dpkg-buildpackage,
# debhelper or lintian are missing or the build dependencies are not
# installed: see README for the apt-get line. The package is built as a
# distribution builds it, its host suites included (dh_auto_test), in the
# 0700 directory that mktemp -d makes: a test that depends on where the tree
# lies fails the build there. About 40 s on two cores.
set -euo pipefail

root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
skip() {
	echo "SKIP: $*"
	exit 77
}

# Building the package runs meson test; never recurse into this test.
if [ -n "${OOMGUARD_CHECK_DEB_RUNNING:-}" ]; then
	skip "already inside a package build"
fi
export OOMGUARD_CHECK_DEB_RUNNING=1

for tool in dpkg-buildpackage dpkg-checkbuilddeps dh lintian; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "$tool not installed (apt-get install dpkg-dev debhelper lintian)"
done
if ! unmet=$(dpkg-checkbuilddeps "$root/packaging/debian/control" 2>&1); then
	skip "build dependencies missing: ${unmet##*: }"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/oomguard-check-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
ok() {
	echo "ok: $*"
}

if ! DEB_BUILD_OPTIONS="parallel=$(nproc)" \
	"$root/packaging/debian/build.sh" "$work/out" >"$work/build.log" 2>&1; then
	tail -200 "$work/build.log"
	echo "FAIL: dpkg-buildpackage failed (log above)"
	exit 1
fi
version=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version)
deb=$work/out/oomguard_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
[ -f "$deb" ] || {
	ls -l "$work/out"
	echo "FAIL: $deb was not built"
	exit 1
}
ok "built ${deb##*/}"

# lintian: errors fail, warnings are listed.
lintian --fail-on error --display-info "$deb" >"$work/lintian.log" 2>&1 && lintian_rc=0 || lintian_rc=$?
grep -v 'running with root privileges' "$work/lintian.log" || true
if [ "$lintian_rc" != 0 ]; then
	fail "lintian found errors (exit status $lintian_rc)"
else
	ok "lintian: no errors ($(grep -c '^W:' "$work/lintian.log" || true) warnings)"
fi

# Contents.
dpkg-deb -c "$deb" | awk '{ print $1, $NF }' >"$work/contents"
has() {
	local mode=$1 path=$2
	if grep -qxE -e "${mode} \\./${path}" "$work/contents"; then
		ok "contains /${path//\\/}"
	else
		fail "missing /$path (mode $mode)"
	fi
}
has '-rwxr-xr-x' 'usr/bin/oomguard'
has '-rw-r--r--' '(usr/)?lib/systemd/system/oomguard\.service'
has '-rw-r--r--' 'etc/default/oomguard'
has '-rw-r--r--' 'usr/share/man/man8/oomguard\.8\.gz'
has '-rw-r--r--' 'usr/share/bash-completion/completions/oomguard'
has '-rw-r--r--' 'usr/share/zsh/vendor-completions/_oomguard'
has '-rwxr-xr-x' 'usr/share/oomguard/hooks/oomguard-notify'
has '-rwxr-xr-x' 'usr/share/oomguard/hooks/oomguard-restart-unit'
has '-rw-r--r--' 'usr/share/doc/oomguard/copyright'

if dpkg-deb -I "$deb" conffiles 2>/dev/null | grep -qx '/etc/default/oomguard'; then
	ok "/etc/default/oomguard is a conffile"
else
	fail "/etc/default/oomguard is not a conffile"
fi
if dpkg-deb -I "$deb" postinst 2>/dev/null | grep -q "deb-systemd-helper enable 'oomguard.service'"; then
	ok "postinst enables oomguard.service"
else
	fail "postinst does not enable oomguard.service (dh_installsystemd)"
fi

# What was installed works together.
dpkg-deb -x "$deb" "$work/root"
unit=$(find "$work/root" -path '*/systemd/system/oomguard.service' | head -n 1)
# shellcheck disable=SC2016 # a literal $OOMGUARD_ARGS
if [ -n "$unit" ] && grep -q "^ExecStart=/bin/sh -c .eval exec /usr/bin/oomguard " "$unit" &&
	grep -qx 'EnvironmentFile=-/etc/default/oomguard' "$unit"; then
	ok "unit runs /usr/bin/oomguard \$OOMGUARD_ARGS from /etc/default/oomguard"
else
	fail "unit's ExecStart=/EnvironmentFile= do not name /usr/bin/oomguard and /etc/default/oomguard"
fi
upstream=${version%-*}
got=$("$work/root/usr/bin/oomguard" --version)
if [ "$got" = "oomguard $upstream" ]; then
	ok "packaged binary says '$got'"
else
	fail "packaged binary says '$got', changelog says $upstream"
fi
# shellcheck disable=SC1091 # the packaged defaults file
if (set -a && . "$work/root/etc/default/oomguard" && set +a &&
	eval "set -- \$OOMGUARD_ARGS" && "$work/root/usr/bin/oomguard" "$@" --version >/dev/null); then
	ok "the shipped OOMGUARD_ARGS are valid flags"
else
	fail "the shipped OOMGUARD_ARGS are rejected"
fi
if man -l "$work/root/usr/share/man/man8/oomguard.8.gz" >/dev/null 2>"$work/man.err" &&
	! grep -q . "$work/man.err"; then
	ok "man page renders without warnings"
elif ! command -v man >/dev/null 2>&1; then
	ok "man page not rendered (no man here)"
else
	cat "$work/man.err"
	fail "man page does not render cleanly"
fi

if [ "$failures" != 0 ]; then
	echo "deb: $failures check(s) failed"
	exit 1
fi
echo "deb: package builds, passes lintian and holds every file"
