"""Bring the OPTIONS section of each man page, and the options column of the README's
command table, in line with each script's --help.

    .venv/bin/python scripts/sync_man_options.py [--check] [NAME ...]

For every console script of pyproject.toml (or the NAMEs given): an entry whose option
strings changed gets the new tag (its metavar kept), an entry whose help text changed gets
the new text, a missing option gets a new entry at the end of the list, an entry for an
option the script no longer has is removed. Hand-written formatting of unchanged texts is
kept. With --check nothing is written and the exit status says whether a page is stale.
The tests (tests/manpage.py) check the same correspondence strictly.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import textwrap
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from manpage import _entry_key, _expected_entries, roff_text  # noqa: E402


def roff(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = textwrap.wrap(text, 90, break_on_hyphens=False) or [""]
    return "\n".join(("\\&" + line) if line.startswith((".", "'")) else line for line in lines)


def bold(option: str) -> str:
    return "\\fB" + option.replace("-", "\\-") + "\\fR"


def tag_for(action: argparse.Action, old_tag: str | None = None) -> str:
    if not action.option_strings:
        return f"\\fI{action.metavar or action.dest}\\fR"
    tag = ", ".join(bold(o) for o in action.option_strings)
    metavar = re.search(r"\s(\\fI.*)$", old_tag or "")
    if metavar:
        return f"{tag} {metavar.group(1)}"
    if action.nargs != 0:
        name = action.metavar or action.dest.upper()
        return f"{tag} \\fI{name}\\fR"
    return tag


def sync(page: Path, parser: argparse.ArgumentParser) -> bool:
    text = page.read_text()
    head, sep, rest = text.partition("\n.SH OPTIONS\n")
    if not sep:
        raise SystemExit(f"{page}: no OPTIONS section")
    section, next_sh, tail = rest.partition("\n.SH ")
    body, pp, after_list = section.partition("\n.PP\n")
    items = body.split(".TP\n")
    intro, entries = items[0], items[1:]
    expected = _expected_entries(parser)
    actions = {}
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        key = (
            frozenset(action.option_strings)
            if action.option_strings
            else (action.metavar or action.dest)
        )
        actions[key] = action
    kept, seen = [], set()
    for entry in entries:
        tag, _, entry_body = entry.partition("\n")
        key = _entry_key(tag)
        match = next(
            (
                k
                for k in actions
                if k == key
                or (isinstance(k, frozenset) and isinstance(key, frozenset) and key <= k)
            ),
            None,
        )
        if match is None or match in seen:
            continue  # an option the script no longer has
        seen.add(match)
        if match != key:
            tag = tag_for(actions[match], tag)
        if roff_text(entry_body) != expected[match]:
            entry_body = roff(expected[match]) + "\n"
        kept.append(f"{tag}\n{entry_body}")
    for key, action in actions.items():
        if key not in seen:
            kept.append(f"{tag_for(action)}\n{roff(expected[key])}\n")
    kept = [entry.rstrip("\n") + "\n" for entry in kept]
    new_body = intro + "".join(".TP\n" + entry for entry in kept)
    new_body = new_body.rstrip("\n")
    new = head + sep + new_body + pp + after_list + next_sh + tail
    if new != text:
        page.write_text(new)
        return True
    return False


def option_cell(parser: argparse.ArgumentParser) -> str:
    """The README's options column: every argument but -h, as --help lists them."""
    cells = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or "-h" in action.option_strings:
            continue
        if action.option_strings:
            cells.append("/".join(action.option_strings))
        else:
            name = action.metavar or action.dest.upper()
            cells.append(f"[{name}]" if action.nargs in ("?", "*") else name)
    return ", ".join(f"`{cell}`" for cell in cells)


def sync_readme(parsers: dict) -> bool:
    readme = REPO / "README.md"
    lines = readme.read_text().split("\n")
    changed = False
    for index, line in enumerate(lines):
        match = re.match(r"\| `(\w+)`[^|]*\|([^|]*)\|([^|]*)\|$", line)
        if match and match.group(1) in parsers:
            cell = option_cell(parsers[match.group(1)])
            new = line[: match.start(3)] + f" {cell} |"
            if new != line:
                lines[index] = new
                changed = True
    if changed:
        readme.write_text("\n".join(lines))
    return changed


def scripts() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    return {name: target.split(":")[0] for name, target in project.items()}


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--check", action="store_true")
    options.add_argument("names", nargs="*")
    args = options.parse_args()
    stale, parsers = [], {}
    for name, module in scripts().items():
        if args.names and name not in args.names:
            continue
        page = REPO / "man" / "man1" / f"{name}.1"
        if not page.exists() or page.read_text().startswith(".so "):
            continue
        parser = importlib.import_module(module).build_parser()
        parsers[name] = parser
        before = page.read_text()
        if sync(page, parser):
            stale.append(name)
            if args.check:
                page.write_text(before)
    before = (REPO / "README.md").read_text()
    if sync_readme(parsers):
        stale.append("README.md")
        if args.check:
            (REPO / "README.md").write_text(before)
    for name in stale:
        print(("stale: " if args.check else "updated: ") + name)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
