"""Liveness of a Celery worker without asking the broker.

``celery inspect ping`` goes through Redis, so it fails whenever Redis does and says nothing about
the worker itself; and a worker whose consumer is stuck still answers nothing useful. Instead the
worker's consumer touches a file every ``WORKER_LIVENESS_SECONDS`` from its own event loop
(``LivenessFile``, a consumer bootstep registered in ``backend/celery.py``), and the probe checks
the file's age::

    python -m backend.worker_liveness [--max-age 120] [--file PATH]

exit status 0 when the file is fresh, 1 otherwise. The consumer step stops while the broker
connection is down (Celery restarts the consumer's steps on reconnection), so a worker that lost
Redis turns stale after ``--max-age`` and fresh again when it is back: the probe reports a worker
that cannot work, and the supervisor (compose's restart policy, systemd's ``Restart=``) handles
a worker that exited.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from celery import bootsteps

DEFAULT_MAX_AGE = 120.0


def liveness_file() -> Path:
    """The file, from WORKER_LIVENESS_FILE or the var directory (without loading Django, so the probe is cheap)."""
    explicit = os.environ.get("WORKER_LIVENESS_FILE")
    if explicit:
        return Path(explicit)
    var_dir = os.environ.get("HUIGUAN_VAR_DIR") or str(Path(__file__).resolve().parent.parent / "var")
    return Path(var_dir) / "worker-alive"


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def is_fresh(path: Path, *, max_age: float, now: float | None = None) -> bool:
    try:
        age = (now if now is not None else time.time()) - path.stat().st_mtime
    except FileNotFoundError:
        return False
    return age <= max_age


class LivenessFile(bootsteps.StartStopStep):
    """Touch the liveness file from the consumer's timer while the consumer runs."""

    requires = {"celery.worker.consumer.tasks:Tasks"}  # started once the worker consumes tasks

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.path = liveness_file()
        self.interval = float(os.environ.get("WORKER_LIVENESS_SECONDS", "10"))
        self.tref = None

    def start(self, parent):
        touch(self.path)
        self.tref = parent.timer.call_repeatedly(self.interval, touch, (self.path,), priority=10)

    def stop(self, parent):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def shutdown(self, parent):
        self.stop(parent)
        try:
            self.path.unlink()  # a worker that stopped is not alive, even for the next --max-age seconds
        except FileNotFoundError:
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Exit 0 if the Celery worker's liveness file is fresh.")
    parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE, help="seconds (default %(default)s)")
    parser.add_argument("--file", type=Path, default=None, help="default: WORKER_LIVENESS_FILE or var/worker-alive")
    args = parser.parse_args(argv)
    path = args.file or liveness_file()
    if is_fresh(path, max_age=args.max_age):
        return 0
    print(f"worker not alive: {path} missing or older than {args.max_age:g} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
