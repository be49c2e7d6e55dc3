#!/usr/bin/env python3
"""Check that the examples in README.md and the man page are what the code
writes.

tests/docs/examples.c (the docs_examples program) prints sections, each an
"@NAME" line followed by the example as oomguard's formatters produce it.
Each document marks where an example goes:

  README.md        a line "<!-- example: NAME -->", then a fenced block
                   (```): its lines must equal the section's, exactly.
  oomguard.8.scd   a comment line "; example: NAME", then a ``` block: the
                   man page wraps long lines by hand, so the words must be
                   the same (whitespace, line breaks and scdoc's escaping of
                   backslashes aside).

Every marker must name a section, and every section must be shown at least
once. Exit status 0 when all agree, 1 with one line per problem.
"""
import argparse
import re
import subprocess
import sys


def sections(text):
    out, name = {}, None
    for line in text.splitlines():
        if line.startswith("@"):
            name = line[1:]
            out[name] = []
        elif name is not None:
            out[name].append(line)
    return out


def blocks(path, marker):
    """(line number, name, block lines) for each marked block of path."""
    lines = open(path, encoding="utf-8").read().splitlines()
    found = []
    for i, line in enumerate(lines):
        m = marker.match(line)
        if not m:
            continue
        j = i + 1
        if j >= len(lines) or not lines[j].startswith("```"):
            found.append((i + 1, m.group(1), None))
            continue
        k = j + 1
        while k < len(lines) and not lines[k].startswith("```"):
            k += 1
        found.append((i + 1, m.group(1), lines[j + 1:k]))
    return found


def words(lines):
    return " ".join(lines).replace("\\\\", "\\").split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--readme", required=True)
    ap.add_argument("--man", required=True)
    args = ap.parse_args()

    run = subprocess.run([args.examples, args.fixtures], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"docs_examples failed ({run.returncode}): {run.stderr.strip()}")
        return 1
    want = sections(run.stdout)
    problems, shown = [], set()
    docs = [(args.readme, re.compile(r"^<!-- example: ([a-z-]+) -->$"), False),
            (args.man, re.compile(r"^; example: ([a-z-]+)$"), True)]
    for path, marker, loose in docs:
        for lineno, name, block in blocks(path, marker):
            where = f"{path}:{lineno}"
            if name not in want:
                problems.append(f"{where}: no example named {name!r}")
                continue
            if block is None:
                problems.append(f"{where}: example {name!r} is not followed by a ``` block")
                continue
            shown.add(name)
            same = words(block) == words(want[name]) if loose else block == want[name]
            if not same:
                problems.append(f"{where}: example {name!r} differs from what oomguard writes; "
                                f"it writes:\n" + "\n".join(want[name]))
    for name in sorted(set(want) - shown):
        problems.append(f"example {name!r} is shown nowhere")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
