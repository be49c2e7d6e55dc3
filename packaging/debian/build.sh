#!/bin/bash
# Build oomguard's .deb from this source tree.
#
#     packaging/debian/build.sh OUTDIR [DPKG-BUILDPACKAGE-ARGS...]
#
# The tree keeps its Debian packaging in packaging/debian rather than in
# ./debian, so this copies the sources (what git tracks plus new files it does
# not ignore; without git, everything but .git and build directories) into a
# temporary directory, puts packaging/debian there as debian/, runs
# `dpkg-buildpackage -us -uc -b` in it, and moves the .deb, .buildinfo and
# .changes into OUTDIR. Extra arguments go to dpkg-buildpackage; set
# DEB_BUILD_OPTIONS=nocheck to skip the tests. Needs dpkg-dev, debhelper and
# the Build-Depends of packaging/debian/control.
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 OUTDIR [DPKG-BUILDPACKAGE-ARGS...]" >&2
	exit 2
fi
outdir=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

version=$(dpkg-parsechangelog -l "$here/changelog" -S Version)
upstream=${version%-*}
work=$(mktemp -d "${TMPDIR:-/tmp}/oomguard-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
src=$work/oomguard-$upstream
mkdir "$src"

if command -v git >/dev/null 2>&1 && git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Files deleted in the work tree but not yet in the index are skipped.
	(cd "$root" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$root" && while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done) |
		(cd "$root" && tar --null --no-recursion -T - -cf -) |
		tar -x -C "$src"
else
	tar -C "$root" --exclude=./.git --exclude='./build*' --exclude=./debian -cf - . |
		tar -x -C "$src"
fi
rm -rf "$src/debian"
cp -R "$here" "$src/debian"
rm -f "$src/debian/build.sh"
# dh_installsysusers creates the user in postinst from debian/PACKAGE.sysusers.
cp "$src/contrib/oomguard.sysusers" "$src/debian/oomguard.sysusers"

(cd "$src" && dpkg-buildpackage -us -uc -b "$@")

found=0
for f in "$work"/*.deb "$work"/*.ddeb "$work"/*.buildinfo "$work"/*.changes; do
	[ -e "$f" ] || continue
	mv "$f" "$outdir"/
	case $f in *.deb) echo "built $outdir/${f##*/}" ;; esac
	found=1
done
if [ "$found" = 0 ]; then
	echo "$0: dpkg-buildpackage produced no package" >&2
	exit 1
fi
