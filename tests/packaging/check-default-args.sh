#!/bin/bash
# The OOMGUARD_ARGS lines of contrib/oomguard.default (the active one and
# every commented example) must reach oomguard as the arguments they show:
# read the way systemd's EnvironmentFile= reads them (outer double quotes
# removed), run through the unit's ExecStart= shell line, and accepted by
# oomguard itself (--list against a fixture tree: parses every flag, kills
# nothing).
#     tests/packaging/check-default-args.sh OOMGUARD_BINARY [SOURCE_ROOT]
set -euo pipefail
bin=$1
root=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
status=0

# The shell command of the unit's ExecStart=, with systemd's "$$" -> "$".
exec_line=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'$/\1/p" "$root/contrib/oomguard.service")
[ -n "$exec_line" ] || { echo "FAIL: ExecStart= is not the expected /bin/sh -c line"; exit 1; }
exec_line=${exec_line//\$\$/\$}

n=0
while IFS= read -r line; do
	value=${line#*OOMGUARD_ARGS=\"}
	value=${value%\"}
	n=$((n + 1))
	# 1. What argv oomguard would get: printed one argument per line.
	args=$(OOMGUARD_ARGS=$value sh -c "${exec_line//\/usr\/bin\/oomguard/printf '[%s]\\n'}")
	if grep -q "^\['\|'\]$" <<<"$args"; then
		echo "FAIL: quotes reach oomguard as characters: $value"
		status=1
	fi
	# 2. oomguard accepts them.
	if ! out=$(OOMGUARD_ARGS="$value --list --procfs $root/tests/fixtures/lowmem" \
		sh -c "${exec_line//\/usr\/bin\/oomguard/$bin}" 2>&1 >/dev/null); then
		echo "FAIL: oomguard rejects: $value: $out"
		status=1
	else
		echo "ok: $value"
	fi
done < <(grep -E '^#? *OOMGUARD_ARGS="' "$root/contrib/oomguard.default" | sed 's/^# *//')
[ "$n" -gt 1 ] || { echo "FAIL: found only $n OOMGUARD_ARGS lines"; exit 1; }
exit "$status"
