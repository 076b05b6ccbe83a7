"""Shared pieces of the benchmarks: a fresh PostgreSQL database, gunicorn, wrk, an open-loop client.

Everything runs on loopback. Each benchmark measures the app and a bare Django view on the same
server in the same run and reports the ratio, so figures compare across machines.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    print("installing wrk (Debian package)…", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk")


def ensure_postgres() -> None:
    ready = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False).returncode == 0
    if not ready:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False)
        for _ in range(30):
            if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0:
                break
            time.sleep(1)


def fresh_database(name: str, *, admin_url: str | None = None) -> str:
    """Drop and create database `name`, migrate it, return its URL. ``admin_url``: a server of the
    benchmark's own (bench/fault.py stops its PostgreSQL); by default the shared one on 5432."""
    import psycopg

    if admin_url is None:
        ensure_postgres()
    admin_url = admin_url or PG_ADMIN_URL
    with psycopg.connect(admin_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    manage("migrate", "--noinput", env={"DATABASE_URL": url})
    return url


def base_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="bench-only-secret",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        ROOT_URLCONF="bench.urls",
        LOG_LEVEL="WARNING",
        HUIGUAN_VAR_DIR=str(ROOT / "var" / "bench"),
        # Deployed shape: the cache (tokens, roles, sessions, rate-limit counters) is Redis, and the
        # rate limits are on and counted. One load generator on one address is what the per-address
        # and per-volunteer limits stop, so those two are set far above the load (each request is
        # still counted); the per-email limit keeps its default (every request has its own address).
        CACHE_URL=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"),
        THROTTLE_REGISTER_IP="100000/s",
        THROTTLE_CHECKIN="100000/s",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str] | None = None) -> str:
    full_env = base_env(env["DATABASE_URL"]) if env else dict(os.environ)
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, check=True
    )
    return result.stdout


def django_setup(database_url: str) -> None:
    """Use the ORM from the benchmark process itself (to create fixtures and check results)."""
    os.environ.update(base_env(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def short_code(i: int) -> str:
    """A distinct short ticket code per fixture row (base 29 of ``i``): a bulk insert of a few
    hundred thousand random codes would meet a duplicate now and then, and a bulk insert cannot
    draw again as ``tickets_create`` does. Codes drawn during the run still retry on a clash."""
    from registrations.shortcodes import ALPHABET, LENGTH

    digits = []
    for _ in range(LENGTH):
        i, digit = divmod(i, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_sink(handler):
    """An aiosmtpd server on a free loopback port with ``handler``; yields ``(handler, port)``."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), data_size_limit=0)
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def json_post(host: str, port: int | str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """A raw HTTP/1.1 JSON POST (request line, headers, ``Connection: close``, body) for asyncio streams."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    )
    return head.encode() + body


class Server(str):
    """The server's base URL (``f"{base}/path"`` as before), and its master's ``pid`` for profilers."""

    pid: int

    def __new__(cls, base: str, pid: int) -> Server:
        server = super().__new__(cls, base)
        server.pid = pid
        return server


@contextmanager
def gunicorn(database_url: str, *, workers: int = 4, log: Path | None = None, **env: str):
    """gunicorn on a free port; its output goes to ``log`` when given (the terminal otherwise)."""
    port = free_port()
    output = log.open("ab") if log else None
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "backend.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],
        cwd=ROOT,
        env=base_env(database_url, **env),
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not come up") from None
                time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        if output:
            output.close()


@dataclass
class LoadResult:
    label: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float

    def line(self) -> str:
        return (
            f"{self.label:<34} {self.rps:>9.1f} req/s   p50 {self.p50_ms:>7.2f} ms   p90 {self.p90_ms:>7.2f} ms"
            f"   p99 {self.p99_ms:>7.2f} ms   requests {self.requests:>7}   errors {self.errors}"
        )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(
    label: str,
    url: str,
    *,
    connections: int,
    seconds: int,
    script: Path | None = None,
    threads: int = 2,
    script_args: list[str] | None = None,
) -> LoadResult:
    """Closed loop: `connections` clients each sending the next request as soon as the last returns."""
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", output, re.M))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    return LoadResult(
        label=label,
        requests=requests,
        errors=errors,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_ms(latency["50"]),
        p90_ms=_ms(latency["90"]),
        p99_ms=_ms(latency["99"]),
    )


async def _open_loop(url: str, bodies, rate: float, seconds: float, headers: dict[str, str]):
    """Send requests on a fixed schedule (not waiting for answers), timing each from its scheduled start.

    Measuring from the schedule, not from the send, keeps coordinated omission out of the figures.
    """
    import http.client  # noqa: F401 - documents that we speak plain HTTP/1.1 below

    host, port = url.split("://", 1)[1].split("/", 1)[0].split(":")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    total = int(rate * seconds)
    latencies: list[float] = []
    statuses: list[int] = []
    start = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        body = bodies(i)
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(json_post(host, port, path, body, headers))
            await writer.drain()
            status_line = await reader.readline()
            await reader.read()
            writer.close()
            statuses.append(int(status_line.split()[1]))
        except (OSError, IndexError, ValueError):
            statuses.append(0)
        latencies.append((time.perf_counter() - scheduled) * 1000)

    await asyncio.gather(*(one(i) for i in range(total)))
    return latencies, statuses


def open_loop(
    label: str,
    url: str,
    *,
    rate: float,
    seconds: float,
    bodies,
    ok_statuses=(200, 201),
    headers: dict[str, str] | None = None,
) -> LoadResult:
    latencies, statuses = asyncio.run(_open_loop(url, bodies, rate, seconds, headers or {}))
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return LoadResult(
        label=label,
        requests=len(statuses),
        errors=sum(1 for status in statuses if status not in ok_statuses),
        rps=len(statuses) / seconds,
        p50_ms=quantiles[49],
        p90_ms=quantiles[89],
        p99_ms=quantiles[98],
    )


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}"
