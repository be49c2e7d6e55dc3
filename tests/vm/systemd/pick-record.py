#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Picks one record out of JSON lines for the systemd VM scenario's checks.

    pick-record.py FILE KEY=VALUE...

FILE holds one JSON object a line (journalctl -o json, oomguard --history
--json); lines that are not JSON objects are counted and skipped. Prints
"records=N" (objects read), "matches=M" (objects whose KEY equals VALUE for
every pair, compared as text), "bad_lines=B", then the last match's fields
as KEY=VALUE lines, lists and objects as compact JSON, "KEY.len=N" for
lists and "KEY.I.SUBKEY=VALUE" for the objects in them ("top.0.pid=252"). Exit status 0 when something matched, 1 when not, 2
on bad usage.
"""
import json
import sys


def text(value):
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    wanted = []
    for arg in sys.argv[2:]:
        key, sep, value = arg.partition("=")
        if not sep:
            print(f"pick-record.py: not KEY=VALUE: {arg}", file=sys.stderr)
            return 2
        wanted.append((key, value))
    records = matches = bad = 0
    last = None
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if not isinstance(obj, dict):
                bad += 1
                continue
            records += 1
            if all(key in obj and text(obj[key]) == value for key, value in wanted):
                matches += 1
                last = obj
    print(f"records={records}")
    print(f"matches={matches}")
    print(f"bad_lines={bad}")
    if last is None:
        return 1
    for key in sorted(last):
        value = last[key]
        print(f"{key}={text(value)}".replace("\n", "\\n"))
        if isinstance(value, list):
            print(f"{key}.len={len(value)}")
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    for sub in sorted(item):
                        print(f"{key}.{i}.{sub}={text(item[sub])}".replace("\n", "\\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
