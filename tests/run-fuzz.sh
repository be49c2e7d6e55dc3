#!/bin/sh
# A short smoke run of every libFuzzer target over its committed corpus
# (tests/fuzz/corpus/NAME), FUZZ_SECONDS each (default 15). Registered as
# the meson test "fuzz-smoke" (suite "fuzz"). Needs clang and its fuzzer
# runtime; exits 77 (skipped) with a reason without them.
#     tests/run-fuzz.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
dir=$2
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
if ! command -v clang >/dev/null; then
	echo "SKIP: clang not installed (apt-get install clang libclang-rt-dev)"
	exit 77
fi
[ -f "$dir/build.ninja" ] ||
	CC=clang meson setup "$dir" "$src" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for corpus in "$src"/tests/fuzz/corpus/*/; do
	name=$(basename "$corpus")
	mkdir -p "$work/$name"
	# New inputs go to a scratch directory; the committed corpus is only read.
	"$dir"/tests/fuzz/fuzz_"$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-print_final_stats=0 "$work/$name" "$corpus" >"$work/$name.log" 2>&1 || {
		tail -40 "$work/$name.log"
		echo "fuzz_$name: FAILED"
		exit 1
	}
	echo "fuzz_$name: $(grep -o 'Done [0-9]* runs' "$work/$name.log") without a crash"
done
