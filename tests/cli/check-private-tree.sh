#!/bin/sh
# The command-line suites again, from a copy of what they use (the oomguard
# binary, the test programs and tests/fixtures) inside a 0700 directory: the
# tree of a root who cloned into /root on Debian, or of dpkg-buildpackage run
# in a mktemp -d directory. Tests that drop to another user must not hand it
# anything from there. Registered as the meson test "private-tree" (suite
# "cli").
#     tests/cli/check-private-tree.sh OOMGUARD FIXTURES TEST...
# Fails when a test fails there, or when one skipped (as root, only a test
# that drops to another user can, and its skip would hide the failure). Exits 77 when not
# root: the tests that drop privileges skip then anyway.
set -eu
if [ $# -lt 3 ]; then
	echo "usage: $0 OOMGUARD FIXTURES TEST..." >&2
	exit 2
fi
bin=$1
fixtures=$2
shift 2
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: only root can drop to another user, and only then does the checkout's place matter"
	exit 77
fi
command -v setpriv >/dev/null 2>&1 || {
	echo "SKIP: setpriv not found (util-linux): the tests that drop privileges skip too"
	exit 77
}

private=$(mktemp -d /tmp/oomguard-private.XXXXXX)
trap 'rm -rf "$private"' EXIT INT TERM
chmod 0700 "$private"
tree=$private/home/checkout
mkdir -p "$tree/build" "$tree/tests"
chmod -R go-rwx "$private"
cp "$bin" "$tree/build/oomguard"
cp -R "$fixtures" "$tree/tests/fixtures"

failed=0
for t in "$@"; do
	name=${t##*/}
	cp "$t" "$tree/build/$name"
	log=$private/$name.log
	if ! OOMGUARD_BIN=$tree/build/oomguard OOMGUARD_FIXTURES=$tree/tests/fixtures \
		"$tree/build/$name" --jobs 1 --verbose --ascii >"$log" 2>&1; then
		cat "$log"
		echo "FAIL: $name fails with its tree inside a 0700 directory"
		failed=1
		continue
	fi
	# The command-line suites skip only the tests that drop privileges,
	# and as root with setpriv none may: a skip would hide the very
	# failure this looks for.
	if grep -E '^\[SKIP\]' "$log" | grep -v 'Test is disabled' >"$private/skips"; then
		cat "$private/skips"
		echo "FAIL: $name skipped tests as root"
		failed=1
		continue
	fi
	echo "ok: $name passes with its tree inside a 0700 directory ($(grep -c '^\[PASS\]' "$log") tests)"
done
exit "$failed"
