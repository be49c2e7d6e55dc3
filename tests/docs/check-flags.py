#!/usr/bin/env python3
"""Check that oomguard's flags agree everywhere they are documented.

`oomguard --help` is the reference. Every short and long flag in it must be
documented in the man page source (doc/oomguard.8.scd), offered by the bash
completion and by the zsh completion, with the same need for a value; and
none of them may document a flag that --help lacks. Long flags mentioned in
the man page prose and in doc/migrating-from-earlyoom.md must exist too. The
README's flag table (its "## Command line" section) must name every flag of
--help, and no other.

How each source is read:
  --help   option lines: "  -m, --mem-min PERCENT[,KILL_PERCENT]   text";
           a value follows the flag after a single space, the description
           after two or more.
  man      definition lines, which start with "*-": "*-m*, *--mem-min* _X_";
           the rest of the line (markup removed) must equal --help's value.
  bash     the completion is sourced and _oomguard called as readline would:
           "oomguard -" lists the flags; "oomguard FLAG -" must offer flags
           again only when FLAG takes no value.
  zsh      the completion is run by zsh with _arguments replaced by a stub
           that prints the specs zsh would get; without zsh the file is read
           as text (brace lists expanded here).
  README   the rows of the table under "## Command line": the flags in the
           first cell ("| `-m, --mem-min PERCENT` | ..."), values aside.

Exit status 0 when everything agrees, 1 with one line per problem otherwise.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

FLAG = r"--?[A-Za-z0-9][A-Za-z0-9-]*"


def help_flags(oomguard):
    """Map each flag in --help to its value placeholder ('' when none)."""
    out = subprocess.run([oomguard, "--help"], check=True, capture_output=True,
                         text=True).stdout
    flags = {}
    line_re = re.compile(r"^\s+(-[A-Za-z0-9])?(?:,\s+)?(--[A-Za-z0-9][A-Za-z0-9-]*)?(.*)$")
    for line in out.splitlines():
        if not re.match(r"^\s+-", line):
            continue
        m = line_re.match(line)
        short, long_, rest = m.group(1), m.group(2), m.group(3)
        value = ""
        vm = re.match(r"^ (\S+)", rest)
        if vm:
            value = vm.group(1)
        for flag in (short, long_):
            if flag:
                if flag in flags:
                    raise SystemExit(f"--help lists {flag} twice")
                flags[flag] = value
    if len(flags) < 10:
        raise SystemExit(f"--help parsed into only {len(flags)} flags: parser out of date?")
    return flags


def strip_markup(text):
    """scdoc markup off: *bold*, _underline_ (not the _ inside KILL_PERCENT)."""
    text = text.replace("*", "")
    text = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", "", text)
    return text.strip()


def man_flags(path, problems):
    """Flags defined in the man page's OPTIONS section and their values, and
    every long flag mentioned anywhere in it."""
    defined = {}
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    section = None
    for i, line in enumerate(lines):
        if line.startswith("# "):
            section = line[2:].strip()
            continue
        # A definition: "*-x*..." after a blank line, its text indented by a
        # tab on the next line, in the OPTIONS section (prose elsewhere may
        # start a line with a flag).
        if section != "OPTIONS" or not line.startswith("*-"):
            continue
        if (i > 0 and lines[i - 1].strip()) or i + 1 >= len(lines) \
                or not lines[i + 1].startswith("\t"):
            problems.append(f"man page: line {i + 1} starts with a flag but is not a "
                            f"definition (blank line before, tab-indented text after)")
            continue
        names = re.findall(r"\*(" + FLAG + r")\*", line)
        last = max(line.rfind("*" + n + "*") + len(n) + 2 for n in names)
        value = strip_markup(line[last:])
        for name in names:
            if name in defined:
                problems.append(f"man page: {name} is defined twice")
            defined[name] = value
    mentioned = set(re.findall(r"(?<![A-Za-z0-9-])(--[A-Za-z][A-Za-z0-9-]*)", text))
    return defined, mentioned


BASH_DRIVER = r"""
set -u
source "$1"
shift
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_oomguard
	printf '%s\n' "${COMPREPLY[@]}"
}
echo "@all"
complete_words oomguard -
for flag in "$@"; do
	echo "@after $flag"
	complete_words oomguard "$flag" -
done
"""


def bash_flags(path, flags):
    """Ask the bash completion. Returns (offered flags, {flag: offers flags
    after it})."""
    with tempfile.TemporaryDirectory() as empty:
        # An empty working directory: file completion finds nothing there.
        out = subprocess.run(["bash", "-c", BASH_DRIVER, "bash", os.path.abspath(path)] + flags,
                             check=True, capture_output=True, text=True, cwd=empty).stdout
    offered, after, key = set(), {}, None
    for line in out.splitlines():
        if line == "@all":
            key = None
            continue
        if line.startswith("@after "):
            key = line[len("@after "):]
            after[key] = False
            continue
        if not line:
            continue
        if key is None:
            offered.add(line)
        elif line.startswith("-"):
            after[key] = True
    return offered, after


ZSH_DRIVER = r"""
_arguments() { print -rl -- "$@"; }
_alternative() { :; }
source "$1"
"""


def expand_braces_shell_text(path):
    """Fallback without zsh: turn the _arguments lines of the file into the
    words zsh would pass (quotes removed, {a,b} expanded)."""
    words = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    in_args = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("_arguments"):
            in_args = True
            stripped = stripped[len("_arguments"):].strip()
        if not in_args:
            continue
        cont = stripped.endswith("\\")
        if cont:
            stripped = stripped[:-1].strip()
        for word in split_shell_words(stripped):
            words.extend(word)
        if not cont:
            in_args = False
    return words


def split_shell_words(text):
    """A small shell-word splitter for the completion's own style: single
    quotes, '\\'' and unquoted {a,b} brace lists. Returns, per word, the list
    of its brace expansions."""
    result = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] == " ":
            i += 1
        if i >= n:
            break
        alternatives = [""]
        while i < n and text[i] != " ":
            c = text[i]
            if c == "'":
                j = text.index("'", i + 1)
                alternatives = [a + text[i + 1:j] for a in alternatives]
                i = j + 1
            elif c == "\\":
                alternatives = [a + text[i + 1] for a in alternatives]
                i += 2
            elif c == "{":
                j = text.index("}", i)
                options = text[i + 1:j].split(",")
                alternatives = [a + o for a in alternatives for o in options]
                i = j + 1
            else:
                alternatives = [a + c for a in alternatives]
                i += 1
        result.append(alternatives)
    return result


def zsh_flags(path, problems):
    """Flags in the zsh completion's _arguments specs: {flag: takes value}."""
    zsh = shutil.which("zsh")
    if zsh:
        out = subprocess.run([zsh, "-f", "-c", ZSH_DRIVER, "zsh", os.path.abspath(path)],
                             check=True, capture_output=True, text=True).stdout
        specs = out.split("\n")
        how = "run by zsh"
    else:
        specs = expand_braces_shell_text(path)
        how = "read as text (zsh not installed)"
    spec_re = re.compile(r"^(?:\([^)]*\))?\*?(" + FLAG + r")([+=-]*)\[[^]]*\](.*)$")
    flags = {}
    for spec in specs:
        m = spec_re.match(spec)
        if not m:
            continue
        name, suffix, rest = m.groups()
        takes_value = rest.startswith(":")
        if bool(suffix) != takes_value:
            problems.append(f"zsh completion: {name}{suffix}: a '+' or '=' suffix and a "
                            f"':message:action' go together")
        if name in flags:
            problems.append(f"zsh completion: {name} has two specs")
        flags[name] = takes_value
    return flags, how


def mentioned_long_flags(path):
    """Long flags in a Markdown file's text and tables; indented code blocks
    (shell sessions with other programs' flags) are left out."""
    with open(path, encoding="utf-8") as f:
        text = "\n".join(line for line in f.read().splitlines()
                         if not line.startswith(("    ", "\t")))
    return set(re.findall(r"(?<![A-Za-z0-9-])(--[A-Za-z][A-Za-z0-9-]*)", text))


def readme_table_flags(path, problems):
    """Flags named in the first cell of each row of the README's table under
    "## Command line" (the header row and the |---| line aside)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    try:
        start = lines.index("## Command line")
    except ValueError:
        problems.append(f"{os.path.basename(path)}: no '## Command line' section")
        return set()
    flags, rows = set(), 0
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if not line.startswith("| `"):
            continue
        rows += 1
        first = re.split(r"(?<!\\)\|", line)[1]  # "some\|full" is one cell
        for code in re.findall(r"`([^`]*)`", first):
            flags.update(re.findall(r"(?<![A-Za-z0-9-])(" + FLAG + r")", code))
    if rows == 0:
        problems.append(f"{os.path.basename(path)}: no flag table under '## Command line'")
    return flags


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--oomguard", required=True)
    ap.add_argument("--man", required=True)
    ap.add_argument("--bash", required=True)
    ap.add_argument("--zsh", required=True)
    ap.add_argument("--migration", help="doc/migrating-from-earlyoom.md")
    ap.add_argument("--readme", help="README.md, whose flag table is checked")
    args = ap.parse_args()

    problems = []
    ref = help_flags(args.oomguard)
    ref_names = set(ref)

    # Man page.
    man_defined, man_mentioned = man_flags(args.man, problems)
    for flag in sorted(ref_names - set(man_defined)):
        problems.append(f"man page: {flag} is in --help but not documented")
    for flag in sorted(set(man_defined) - ref_names):
        problems.append(f"man page: documents {flag}, which --help lacks")
    for flag in sorted(ref_names & set(man_defined)):
        if man_defined[flag] != ref[flag]:
            problems.append(f"man page: {flag} takes '{man_defined[flag]}', --help says "
                            f"'{ref[flag]}'")
    for flag in sorted(man_mentioned - ref_names):
        problems.append(f"man page: mentions {flag}, which --help lacks")

    # bash.
    offered, after = bash_flags(args.bash, sorted(ref_names))
    for flag in sorted(ref_names - offered):
        problems.append(f"bash completion: does not offer {flag}")
    for flag in sorted(offered - ref_names):
        problems.append(f"bash completion: offers {flag}, which --help lacks")
    for flag in sorted(ref_names & offered):
        if ref[flag] and after.get(flag):
            problems.append(f"bash completion: offers flags after {flag}, which takes "
                            f"{ref[flag]}")
        if not ref[flag] and not after.get(flag):
            problems.append(f"bash completion: offers no flags after {flag}, which takes "
                            f"no value")

    # zsh.
    zflags, how = zsh_flags(args.zsh, problems)
    for flag in sorted(ref_names - set(zflags)):
        problems.append(f"zsh completion: has no spec for {flag}")
    for flag in sorted(set(zflags) - ref_names):
        problems.append(f"zsh completion: has a spec for {flag}, which --help lacks")
    for flag in sorted(ref_names & set(zflags)):
        if zflags[flag] != bool(ref[flag]):
            problems.append(f"zsh completion: {flag} "
                            f"{'takes' if zflags[flag] else 'takes no'} value, --help says "
                            f"'{ref[flag] or 'none'}'")

    # The earlyoom migration table names oomguard flags in prose.
    if args.migration:
        for flag in sorted(mentioned_long_flags(args.migration) - ref_names):
            problems.append(f"{os.path.basename(args.migration)}: mentions {flag}, "
                            f"which --help lacks")

    # The README's flag table.
    readme = None
    if args.readme:
        readme = readme_table_flags(args.readme, problems)
        for flag in sorted(ref_names - readme):
            problems.append(f"README flag table: has no row for {flag}")
        for flag in sorted(readme - ref_names):
            problems.append(f"README flag table: names {flag}, which --help lacks")

    for p in problems:
        print(p)
    print(f"{len(ref)} flags in --help; man page: {len(man_defined)} defined; bash: "
          f"{len(offered)} offered; zsh: {len(zflags)} specs ({how})"
          + (f"; README table: {len(readme)} named" if readme is not None else ""))
    if problems:
        print(f"flags: {len(problems)} problem(s)")
        return 1
    print("flags: man page, bash and zsh completions" + (" and the README's table" if readme is not None else "")
          + " agree with --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
