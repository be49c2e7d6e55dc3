#!/bin/sh
# A short smoke run of every libFuzzer target over its committed corpus
# (tests/fuzz/corpus/NAME), FUZZ_SECONDS each (default 15). Registered as
# the meson test "fuzz-smoke" (suite "fuzz"). Needs clang and its fuzzer
# runtime; exits 77 (skipped) with a reason without them.
#     tests/run-fuzz.sh SOURCE_DIR BUILD_DIR
# Prints, per target, the runs it reached and libFuzzer's final coverage
# (cov: edges, ft: features). Fails when the library lacks coverage
# instrumentation (-fsanitize=fuzzer-no-link, src/meson.build), or a
# target's coverage stays under FUZZ_MIN_COV (default 40) edges: the fuzzer
# is then exploring little more than its own harness, blind. Crashing
# inputs are kept in BUILD_DIR/artifacts.
set -eu
src=$1
dir=$2
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
FUZZ_MIN_COV=${FUZZ_MIN_COV:-40}
if ! command -v clang >/dev/null; then
	echo "SKIP: clang not installed (apt-get install clang libclang-rt-dev)"
	exit 77
fi
[ -f "$dir/build.ninja" ] ||
	CC=clang meson setup "$dir" "$src" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C "$dir"
# The fuzzer explores only code compiled with coverage instrumentation.
if command -v nm >/dev/null &&
	! nm "$dir/src/liboomguard.a" 2>/dev/null | grep -q __sanitizer_cov; then
	echo "FAILED: $dir/src/liboomguard.a has no coverage instrumentation" \
		"(-fsanitize=fuzzer-no-link in src/meson.build): the fuzzers would explore blind"
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for corpus in "$src"/tests/fuzz/corpus/*/; do
	name=$(basename "$corpus")
	bin="$dir/tests/fuzz/fuzz_$name"
	if [ ! -x "$bin" ]; then
		echo "fuzz_$name: FAILED: corpus $corpus has no target $bin"
		status=1
		continue
	fi
	mkdir -p "$work/$name" "$dir/artifacts"
	# New inputs go to a scratch directory; the committed corpus is only
	# read. A crashing input is kept in BUILD_DIR/artifacts.
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$name-" \
		"$work/$name" "$corpus" >"$work/$name.log" 2>&1 || {
		tail -40 "$work/$name.log"
		echo "fuzz_$name: FAILED (the input is in $dir/artifacts)"
		status=1
		continue
	}
	# The last status line: "#1234567 DONE cov: 312 ft: 901 corp: 25/1403b ..."
	last=$(grep -E '^#[0-9]+[[:space:]]' "$work/$name.log" | tail -1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
	cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
	echo "fuzz_$name: ${runs:-?} runs in ${FUZZ_SECONDS} s, cov: ${cov:-?} ft: ${ft:-?}," \
		"corpus ${corp:-?}, without a crash"
	if [ -z "$cov" ] || [ "$cov" -lt "$FUZZ_MIN_COV" ]; then
		echo "fuzz_$name: FAILED: coverage ${cov:-unknown} < $FUZZ_MIN_COV edges:" \
			"is the library built with -fsanitize=fuzzer-no-link?"
		status=1
	fi
done
exit $status
