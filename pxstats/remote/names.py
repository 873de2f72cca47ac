"""Names that end up in ssh/rsync arguments or in a remote command.

Machine names, logins and client names come from configuration files and command lines; a
remote root comes from another machine. Each is checked against a short list of allowed
characters before any process starts, so none can reach a shell, become an ssh or rsync option
(leading '-'), a remote spec ('host:path', 'user@host') or leave its folder ('..', '/').
"""

from __future__ import annotations

import re

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
_PATH = re.compile(r"/[A-Za-z0-9_.+/-]*")
MAX_NAME = 255


class BadName(ValueError):
    """A name or path refused before any process starts (the message is one line)."""


def check_name(kind: str, name: str) -> str:
    """`name` if it is a safe machine, login or client name, else BadName.

    Allowed: letters, digits, '_', '.', '+', '-', not starting with '-' or '.', without '..'."""
    if (
        not isinstance(name, str)
        or not _NAME.fullmatch(name)
        or ".." in name
        or len(name) > MAX_NAME
    ):
        raise BadName(
            f"invalid {kind} name {name!r}: use letters, digits, '_', '.', '+' and "
            f"'-' only, not starting with '-' or '.', without '..'"
        )
    return name


def check_names(kind: str, names) -> tuple[str, ...]:
    return tuple(check_name(kind, name) for name in names)


def check_remote_path(kind: str, path: str) -> str:
    """An absolute path made of safe characters, without '..', ending with one '/'."""
    text = str(path)
    if not _PATH.fullmatch(text) or "/../" in text + "/" or "/./" in text + "/":
        raise BadName(
            f"invalid {kind} {text!r}: expected an absolute path of letters, "
            f"digits, '_', '.', '+', '-' and '/', without '..'"
        )
    return text.rstrip("/") + "/"
