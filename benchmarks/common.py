"""What every benchmark script shares: the database it runs on, manage.py as a subprocess, percentiles.

The scripts are run as `python benchmarks/<name>.py`, so this folder is on sys.path and they import
this module as `common`.
"""

import math
import os
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def prepare_environment(*, default_sqlite: Path, fresh: bool) -> str:
    """DATABASE_URL if set, else a SQLite file of the script's own (deleted first when fresh)."""
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolkit.settings")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{default_sqlite}"
        if fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{default_sqlite}{suffix}").unlink(missing_ok=True)
    sys.path.insert(0, str(PROJECT))
    return os.environ["DATABASE_URL"]


def is_postgresql() -> bool:
    return os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://"))


def manage(*command) -> tuple[float, str]:
    """Run manage.py in a subprocess (timed, as a person would); exit with its output if it fails."""
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, str(PROJECT / "manage.py"), *command],
        cwd=PROJECT,
        env=os.environ,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def percentile(values, share) -> float:
    """Nearest-rank percentile (share 0.95 → p95)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]
