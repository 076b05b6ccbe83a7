"""Where a hot path's CPU goes: py-spy samples of gunicorn's workers under load, summed by part.

    with harness.gunicorn(...) as base, profile.record(base_pid, "var/bench/checkin.txt"):
        harness.wrk(...)
    print(profile.summary(Path("var/bench/checkin.txt")))

py-spy (a sampling profiler outside the process: nothing in the app changes while it samples)
writes collapsed stacks, one line per distinct stack with its sample count. ``summary`` reads
them twice: *inclusive* — the share of samples with a frame of each part anywhere on the stack
(auth, throttles, idempotency, serializers, ...: how much the request spends inside that part,
its SQL included) — and *self* — the innermost frame's part (where the CPU actually is: SQL
driver, cache socket, JSON, our own code).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# (part, pattern on "function (file:line)"), first match wins for the self view; order matters.
PARTS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern))
    for name, pattern in [
        ("SQL: database driver", r"psycopg|sqlite3|django/db/backends"),
        ("ORM: queries built and rows made", r"django/db/models"),
        ("cache / Redis round trips", r"redis/|django/core/cache|django_redis"),
        ("ticket signature (Ed25519)", r"cryptography/|registrations/tickets\.py"),
        ("throttles", r"common/throttl|rest_framework/throttling"),
        ("authentication", r"rest_framework/authentication|organizations/(auth|tokens)\.py|django/contrib/auth"),
        ("idempotency", r"common/idempotency"),
        ("serializers / validation", r"rest_framework/(serializers|fields|validators|relations)"),
        ("JSON render / parse", r"rest_framework/(renderers|parsers)|json/|orjson"),
        ("DRF request / response machinery", r"rest_framework/"),
        ("middleware", r"django/middleware|csp/|whitenoise|backend/middleware|common/middleware"),
        ("Django request / URL / templates", r"django/(core|urls|template|http|utils)"),
        ("our use case (services, selectors)", r"/(checkin|registrations|events|notifications|organizations|common)/"),
        ("gunicorn / WSGI / socket I/O", r"gunicorn|socket|selectors\.py|ssl\.py"),
    ]
]


@contextlib.contextmanager
def record(pid: int, out: Path, *, rate: int = 250):
    """Sample ``pid`` and its children (gunicorn's workers) until the block ends."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--format",
            "raw",
            "--rate",
            str(rate),
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield out
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            _out, errors = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            errors = b"py-spy did not stop within 60 s"
        if not out.exists():  # say why, rather than fail later on a missing file
            print(f"py-spy wrote no profile: {errors.decode(errors='replace').strip()[-2000:]}", file=sys.stderr)


def record_if(enabled: bool, pid: int, out: Path):
    """``record`` when profiling was asked for, a no-op block otherwise."""
    return record(pid, out) if enabled else contextlib.nullcontext(out)


def _frames(stack: str) -> list[str]:
    # py-spy raw: "process 123:\"gunicorn …\";frame (file:line);…" — outermost first.
    return [frame for frame in stack.split(";") if "(" in frame and not frame.startswith("process ")]


def summary(path: Path, *, top: int = 12) -> str:
    inclusive: Counter[str] = Counter()
    self_part: Counter[str] = Counter()
    self_frame: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = _frames(stack)
        # Idle workers wait in gunicorn's select/accept: not the request's time.
        if not frames or not any("django" in frame or "rest_framework" in frame for frame in frames):
            continue
        samples = int(count)
        total += samples
        seen = {name for frame in frames for name, pattern in PARTS if pattern.search(frame)}
        for name in seen:
            inclusive[name] += samples
        innermost = frames[-1]
        self_part[next((name for name, pattern in PARTS if pattern.search(innermost)), "other (Python runtime)")] += (
            samples
        )
        self_frame[re.sub(r"\s+", " ", innermost)] += samples
    if not total:
        return "no samples of a request"
    lines = [f"{total} samples inside requests", "", "inclusive (a frame of the part anywhere on the stack):"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in inclusive.most_common()]
    lines += ["", "self (where the CPU is):"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in self_part.most_common()]
    lines += ["", f"top {top} innermost frames:"]
    lines += [f"  {100 * n / total:5.1f} %  {frame[:110]}" for frame, n in self_frame.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1])))
