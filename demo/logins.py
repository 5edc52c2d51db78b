"""The demo users' passwords: made readable, and kept in a file of the developer's own between runs.

`dev.py run` passes ``--logins-file .dev/demo-logins.json`` (git-ignored), so the same passwords are
printed on every run until ``--reset-passwords``; dev.py reads the file back to print the logins
last. Only for demo installations: the file holds the passwords in clear, readable by its owner only.
"""

import json
import os
import secrets
from pathlib import Path

READABLE_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied from a terminal


def readable_password() -> str:
    """Three groups of four letters/digits, e.g. k7mq-tx3v-9bpr (about 59 bits)."""
    return "-".join("".join(secrets.choice(READABLE_CHARS) for _ in range(4)) for _ in range(3))


def logins_read(path: Path) -> dict[str, str]:
    """username → password from the file; empty when there is no file (or not a readable one)."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["logins"]
        return {row["username"]: row["password"] for row in rows if row.get("password")}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def logins_write(path: Path, rows: list[dict]) -> None:
    """Write [{username, role, password}] (password None when unknown), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"logins": rows}, file, ensure_ascii=False, indent=2)
    os.replace(temporary, path)  # a reader never sees half a file
