#!/bin/bash
# Check contrib/oomguard.service with systemd's own tools, offline (systemd
# need not be PID 1):
#   - systemd-analyze verify accepts it (ExecStart pointed at the binary just
#     built, since /usr/bin/oomguard need not exist here);
#   - its lines are tagged oomguard (SyslogIdentifier=): ExecStart= runs
#     /bin/sh, after which systemd would otherwise name them "sh", and
#     `journalctl -t oomguard` would find nothing;
#   - systemd-analyze security --offline=true rates its exposure below
#     MAX_EXPOSURE (2.0; the unit's comment records 0.9 with systemd 252),
#     and below earlyoom's unit when that is installed.
#
#     tests/packaging/check-unit.sh OOMGUARD_BINARY [SOURCE_ROOT]
#
# Exits 77 (skipped) when systemd-analyze is missing or too old for
# --offline (systemd 250 and later have it).
set -euo pipefail

# systemd wants an absolute ExecStart= path; meson passes one relative to
# the build directory.
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
max_exposure=2.0
skip() {
	echo "SKIP: $*"
	exit 77
}
command -v systemd-analyze >/dev/null 2>&1 ||
	skip "systemd-analyze not installed (apt-get install systemd)"

work=$(mktemp -d "${TMPDIR:-/tmp}/oomguard-check-unit.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The file name must stay oomguard.service: verify and security name the
# unit after it.
sed "/^ExecStart=/s|/usr/bin/oomguard |$bin |" \
	"$root/contrib/oomguard.service" >"$work/oomguard.service"
grep -q "^ExecStart=.*$bin " "$work/oomguard.service" || {
	echo "FAIL: no ExecStart= line running /usr/bin/oomguard in contrib/oomguard.service"
	exit 1
}
# The kill history needs a directory on disk that outlives a reboot:
# DynamicUser= and ProtectSystem=strict leave only StateDirectory=.
grep -qx "StateDirectory=oomguard" "$work/oomguard.service" || {
	echo "FAIL: no StateDirectory=oomguard in contrib/oomguard.service (the kill history's /var/lib/oomguard)"
	exit 1
}
echo "ok: StateDirectory=oomguard gives the history /var/lib/oomguard"
cd "$work"

if ! systemd-analyze verify --man=no oomguard.service >verify.log 2>&1; then
	cat verify.log
	echo "FAIL: systemd-analyze verify rejects the unit"
	exit 1
fi
if grep -q . verify.log; then
	cat verify.log
	echo "FAIL: systemd-analyze verify warns about the unit"
	exit 1
fi
echo "ok: systemd-analyze verify accepts oomguard.service"

# The value in force: the last SyslogIdentifier= of [Service] (a later one
# overrides an earlier one; verify above has checked the syntax).
ident=$(awk '/^\[/ { service = ($0 == "[Service]") }
	service && /^SyslogIdentifier=/ { v = substr($0, 18) }
	END { print v }' oomguard.service)
if [ "$ident" != oomguard ]; then
	echo "FAIL: SyslogIdentifier= is '${ident}', not oomguard: the journal would tag the lines" \
		"after ExecStart=, $(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' oomguard.service)"
	exit 1
fi
echo "ok: SyslogIdentifier=oomguard (journalctl -t oomguard)"

exposure() {
	systemd-analyze security --offline=true --no-pager "$1" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
ours=$(exposure oomguard.service)
if [ -z "$ours" ]; then
	systemd-analyze security --offline=true --no-pager oomguard.service 2>&1 | tail -3
	skip "systemd-analyze security has no --offline mode here ($(systemd-analyze --version | head -n 1))"
fi
status=0
if awk -v a="$ours" -v b="$max_exposure" 'BEGIN { exit !(a < b) }'; then
	echo "ok: exposure $ours (below $max_exposure)"
else
	systemd-analyze security --offline=true --no-pager oomguard.service | grep '✗' || true
	echo "FAIL: exposure $ours, expected below $max_exposure"
	status=1
fi
for earlyoom in /usr/lib/systemd/system/earlyoom.service /lib/systemd/system/earlyoom.service; do
	[ -f "$earlyoom" ] || continue
	theirs=$(exposure "$earlyoom")
	if awk -v a="$ours" -v b="$theirs" 'BEGIN { exit !(a < b) }'; then
		echo "ok: earlyoom's unit ($earlyoom) rates $theirs"
	else
		echo "FAIL: exposure $ours is not below earlyoom's $theirs"
		status=1
	fi
	break
done
exit $status
