#!/bin/bash
# Quick checks of the packaging recipes, no package build:
#   - the version in meson.build is the one in packaging/debian/changelog,
#     packaging/rpm/oomguard.spec and packaging/arch/PKGBUILD;
#   - the PKGBUILD is valid bash and defines what makepkg needs (build,
#     check, package; pkgname, pkgver, arch, license, source);
#   - packaging/debian/rules, build.sh and the OpenRC script parse;
#   - with rpmspec installed, the spec parses (rpmspec -P). Fedora's %meson
#     and systemd macros are not on a non-Fedora machine, so they stay
#     unexpanded there; the parse still checks tags, sections and %files.
#
#     tests/packaging/check-recipes.sh MESON_PROJECT_VERSION [SOURCE_ROOT]
# shellcheck disable=SC2015 # ok() and fail() always succeed
set -euo pipefail

want=$1
root=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
status=0
fail() {
	echo "FAIL: $*"
	status=1
}
ok() {
	echo "ok: $*"
}

# Debian: "oomguard (0.1.0-1) unstable; urgency=medium"
deb=$(sed -n '1s/^oomguard (\([^)]*\)).*/\1/p' "$root/packaging/debian/changelog")
deb=${deb%-*}
deb=${deb#*:}
[ "$deb" = "$want" ] && ok "debian/changelog: $deb" ||
	fail "debian/changelog has $deb, meson.build $want"
rpm=$(sed -n 's/^Version:[[:space:]]*//p' "$root/packaging/rpm/oomguard.spec")
[ "$rpm" = "$want" ] && ok "oomguard.spec: $rpm" ||
	fail "oomguard.spec has Version: $rpm, meson.build $want"
rpm_cl=$(sed -n '/^%changelog/,$s/^\*.* - \([^ -]*\)-[^ ]*$/\1/p' "$root/packaging/rpm/oomguard.spec" | head -n 1)
[ "$rpm_cl" = "$want" ] && ok "oomguard.spec %changelog: $rpm_cl" ||
	fail "oomguard.spec's newest %changelog entry is $rpm_cl, meson.build $want"

pkgbuild=$root/packaging/arch/PKGBUILD
if bash -n "$pkgbuild"; then
	# Source it the way makepkg does, in a subshell, and look at the result.
	# shellcheck disable=SC1090,SC2154
	if out=$(cd "$(dirname "$pkgbuild")" && bash -c '
		set -eu
		source "$1"
		for fn in build check package; do
			declare -F "$fn" >/dev/null || { echo "no $fn()"; exit 1; }
		done
		for var in pkgname pkgver pkgrel pkgdesc; do
			[ -n "${!var:-}" ] || { echo "no $var"; exit 1; }
		done
		for arr in arch license source depends makedepends; do
			declare -p "$arr" 2>/dev/null | grep -q "^declare -a" ||
				{ echo "$arr is not an array"; exit 1; }
		done
		[ "${#source[@]}" = "${#sha256sums[@]}" ] ||
			{ echo "source and sha256sums differ in length"; exit 1; }
		declare -f check | grep -q "meson test" || { echo "check() runs no meson test"; exit 1; }
		echo "$pkgver"' bash "$pkgbuild" 2>&1); then
		[ "$out" = "$want" ] && ok "PKGBUILD: pkgver $out, build/check/package defined" ||
			fail "PKGBUILD has pkgver $out, meson.build $want"
	else
		fail "PKGBUILD: $out"
	fi
else
	fail "PKGBUILD is not valid bash"
fi

for script in packaging/debian/build.sh tests/packaging/check-deb.sh; do
	bash -n "$root/$script" && ok "$script parses" || fail "$script does not parse"
done
sh -n "$root/contrib/oomguard.openrc" && ok "contrib/oomguard.openrc parses" ||
	fail "contrib/oomguard.openrc does not parse"
if command -v make >/dev/null 2>&1; then
	# -n: print, do not run. "clean" exists in every dh rules file.
	if make -n -f "$root/packaging/debian/rules" -C "$root" clean >/dev/null 2>&1; then
		ok "packaging/debian/rules parses"
	else
		fail "packaging/debian/rules does not parse"
	fi
fi
[ -x "$root/packaging/debian/rules" ] || fail "packaging/debian/rules is not executable"

if command -v rpmspec >/dev/null 2>&1; then
	if rpmspec -P "$root/packaging/rpm/oomguard.spec" >/dev/null 2>"${TMPDIR:-/tmp}/rpmspec.$$"; then
		ok "rpmspec -P parses oomguard.spec"
	else
		cat "${TMPDIR:-/tmp}/rpmspec.$$"
		fail "rpmspec -P rejects oomguard.spec"
	fi
	rm -f "${TMPDIR:-/tmp}/rpmspec.$$"
else
	echo "note: rpmspec not installed; oomguard.spec not parsed (apt-get install rpm)"
fi
exit $status
