"""Load and faults: registrations and check-ins while the worker is killed and PostgreSQL and Redis stopped.

    .venv/bin/python -m bench.fault [--baseline 20] [--seconds 110] [--register-rate 8] [--checkin-rate 16]

Everything on loopback: a **private PostgreSQL cluster** the bench creates itself (``initdb`` into
``var/bench/fault-pg``, its own port, so stopping it touches nobody else's database; the shared
server on 5432 is never used), a private
``redis-server`` on its own port (broker *and* cache; it keeps nothing, so a restart empties it),
an aiosmtpd sink in this process that records every message, gunicorn, one Celery worker and
Celery beat (the outbox sweeper), all with the production settings. Rate limits stay on (high
rates), so their cache traffic is part of the test.

Two phases of open-loop load, requests on a fixed schedule; a request that gets a 5xx or no answer
is sent again (same Idempotency-Key, same scan nonce) up to ``--retries`` times, as a client should:

1. baseline — nothing breaks;
2. faults — the worker's process group is SIGKILLed (as ``docker kill`` or the OOM killer
   would), restarted a while later; then PostgreSQL is stopped for 10 s (``pg_ctl stop -m fast``)
   and started again: pages and the API must answer 503 with Retry-After meanwhile, never 500,
   and the client waits that long before resending; then Redis is stopped while tasks are in
   flight (the SMTP sink answers slowly then, so sends are mid-way), stays down a few seconds,
   and starts again empty — the worker must carry on by itself (one that exits is restarted by
   the bench, as compose would, but the run then fails); then Redis hangs for as long (SIGSTOP:
   connections are accepted, nothing answers, as in a failover or a network cut) and carries on
   (SIGCONT).

Then the load stops and the sweeper gets a drain period. Checked afterwards: every registration
answered 2xx is in the database with its tickets; every check-in answered "ok" is there once;
every registration in the database (answered or not) got its status email (confirmation,
waitlisted, payment due) exactly once at the sink, and nothing else was sent. Exits non-zero if
anything is lost or duplicated, if a request answered 500 (or 503 without Retry-After) while
PostgreSQL was down, or if the worker or beat exited by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import glob
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

from bench import harness

DATABASE = "huiguan_fault"
LOG_DIR = harness.ROOT / "var" / "bench" / "fault"


# --- the parts -------------------------------------------------------------------------------


class Redis:
    """A private redis-server child: broker and cache for this run only (the shared one on 6379 is never touched)."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = (LOG_DIR / "redis.log").open("ab")
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP: the kernel still accepts connections and buffers commands; nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


class Postgres:
    """A private PostgreSQL cluster: initdb'd here, on its own port, started and stopped by the bench only."""

    def __init__(self, port: int):
        self.port = port
        self.base = harness.ROOT / "var" / "bench" / "fault-pg"
        self.data = self.base / "data"
        self.admin_url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])

    def _run(self, *command: str) -> None:
        # initdb and postgres refuse to run as root: use the postgres account then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def init(self) -> None:
        if self.data.exists():
            shutil.rmtree(self.data)
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w", "start"
        )

    def stop(self) -> None:
        """``-m fast``: open connections are terminated (SQLSTATE 57P01), as in a restart or failover."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


class Sink:
    """aiosmtpd handler keeping every message: when, to whom, which kind."""

    def __init__(self):
        self.messages: list[tuple[float, str, str]] = []  # (time, recipient, kind)
        self.lock = threading.Lock()
        # While set, each message takes this long to accept: sends are in flight when Redis goes away.
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = message_from_bytes(envelope.original_content or b"", _class=None)
        kind = headers.get("X-Huiguan-Notification", "?")
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.messages.append((time.monotonic(), recipient.lower(), kind))
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


class Celery:
    """A ``celery worker`` or ``celery beat`` in its own process group, so SIGKILL takes all its children."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]):
        self.name, self.command, self.env = name, command, env
        self.process: subprocess.Popen | None = None
        self.meant_down = False  # killed or stopped by us: the supervisor leaves it down
        self.crashes: list[tuple[float, int]] = []  # (monotonic time, exit code) of exits nobody asked for

    def start(self) -> None:
        log = (LOG_DIR / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "backend", *self.command],
            cwd=harness.ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.meant_down = False  # only now: the supervisor must not see the old, dead process as a crash

    def supervise(self) -> None:
        """What compose's ``restart: unless-stopped`` does: start it again if it exited by itself."""
        if self.process and not self.meant_down and self.process.poll() is not None:
            self.crashes.append((time.monotonic(), self.process.returncode))
            print(f"  {self.name} exited by itself (code {self.process.returncode}); restarting it", flush=True)
            time.sleep(1)
            self.start()

    def kill(self) -> None:
        self.meant_down = True
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        self.meant_down = True
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


# --- fixture ---------------------------------------------------------------------------------


def build_fixture(pool_size: int) -> dict:
    """Four published events and a volunteer; a pool of confirmed tickets for the door of the live one."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from events.models import Event, Session
    from organizations.models import Membership, Organization
    from registrations.models import Registration, Ticket
    from registrations.services import event_recount
    from registrations.tickets import ticket_code

    organization = Organization.objects.create(slug="fault", name={"en": "Fault test"}, contact_email="org@fault.test")
    volunteer = get_user_model().objects.create_user("door", "door@fault.test", "x")
    Membership.objects.create(user=volunteer, organization=organization, role=Membership.Role.VOLUNTEER)
    now = timezone.now()

    def event(slug: str, **fields) -> tuple[Event, Session]:
        made = Event.objects.create(
            organization=organization,
            slug=slug,
            title={"en": slug, "zh-hans": f"{slug}（中文）", "ja": f"{slug}（日本語）"},
            status=Event.Status.PUBLISHED,
            max_guests=2,
            **fields,
        )
        start = now + dt.timedelta(days=5)
        session = Session.objects.create(event=made, starts_at=start, ends_at=start + dt.timedelta(hours=3))
        return made, session

    # Live: started ten minutes ago, so its fresh tickets can be scanned at once.
    live, live_session = event("live", capacity=1_000_000)
    live_session.starts_at, live_session.ends_at = now - dt.timedelta(minutes=10), now + dt.timedelta(hours=3)
    live_session.save()
    event("free", capacity=1_000_000)
    event("door", capacity=1_000_000, price="80.00", allow_pay_at_door=True)
    event("small", capacity=60)  # fills up: the rest are waitlisted (another email kind)
    registrations = Registration.objects.bulk_create(
        Registration(event=live, name=f"Pool {i}", email=f"pool{i}@fault.test", status="confirmed", confirmed_at=now)
        for i in range(pool_size)
    )
    tickets = Ticket.objects.bulk_create(Ticket(registration=r, position=0, name=r.name) for r in registrations)
    event_recount(event_id=live.pk)
    return {
        "token": Token.objects.create(user=volunteer).key,
        "session": live_session.pk,
        "pool": [ticket_code(ticket_id=t.pk) for t in tickets],
        "pool_emails": {r.email for r in registrations},
    }


# --- load ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    phase: str
    kind: str  # register | checkin
    at: float  # seconds since the run started (scheduled send time)
    status: int  # HTTP status, 0 for no answer
    ms: float = 0.0  # from the scheduled send to the full answer (after any retries)
    first_status: int = 0  # of the first attempt; ``status`` is the last one's
    attempts: int = 0
    replayed: bool = False  # the server answered a retry from its idempotency record
    retry_after: str | None = None  # the first attempt's Retry-After header, if any
    body: dict = field(default_factory=dict)
    request: dict = field(default_factory=dict)


async def _post(
    host: str, port: int, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict, bool, str | None]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(harness.json_post(host, port, path, body, headers))
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head_part, _, payload = raw.partition(b"\r\n\r\n")
    status = int(head_part.split(b" ", 2)[1])
    replayed = b"\r\nidempotent-replayed: true" in head_part.lower()
    found = re.search(rb"\r\nretry-after: *([^\r]*)", head_part.lower())
    retry_after = found.group(1).decode() if found else None
    try:
        parsed = json.loads(payload) if payload else {}
    except ValueError:
        parsed = {"raw": payload[:200].decode(errors="replace")}
    return status, parsed if isinstance(parsed, dict) else {"raw": parsed}, replayed, retry_after


class Load:
    """Open-loop registrations and scans. Fresh tickets of the live event are scanned soon after they are issued."""

    def __init__(
        self, base: str, fixture: dict, *, register_rate: float, checkin_rate: float, retries: int, timeout: float
    ):
        netloc = base.split("://", 1)[1]
        host, port = netloc.split(":")
        self.host, self.port = host, int(port)
        self.fixture = fixture
        self.register_rate, self.checkin_rate = register_rate, checkin_rate
        self.retries, self.timeout = retries, timeout
        self.outcomes: list[Outcome] = []
        self.fresh_codes: collections.deque[str] = collections.deque()
        self.pool = iter(fixture["pool"])
        self.counter = 0
        self.t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.t0

    async def _one(self, outcome: Outcome, path: str, payload: dict, headers: dict[str, str]) -> None:
        """Send, and resend the very same request (same Idempotency-Key or nonce) after a 5xx or no
        answer, as the scanner app and a careful client do: after the Retry-After a 503 names
        (at most 15 s), else after a second."""
        outcome.request = payload
        wait = 1.0
        for attempt in range(1 + self.retries):
            if attempt:
                await asyncio.sleep(wait)
            retry_after = None
            try:
                outcome.status, outcome.body, replayed, retry_after = await asyncio.wait_for(
                    _post(self.host, self.port, path, json.dumps(payload).encode(), headers), timeout=self.timeout
                )
            except (TimeoutError, OSError, IndexError, ValueError) as exc:
                outcome.status, outcome.body, replayed = 0, {"client_error": repr(exc)}, False
            wait = min(float(retry_after), 15.0) if retry_after and retry_after.isdigit() else 1.0
            if attempt == 0:
                outcome.first_status = outcome.status
                outcome.retry_after = retry_after
            outcome.attempts, outcome.replayed = attempt + 1, replayed
            if outcome.status and outcome.status < 500:
                break
        outcome.ms = (self.now() - outcome.at) * 1000
        self.outcomes.append(outcome)

    async def register(self, phase: str, at: float) -> None:
        self.counter += 1
        n = self.counter
        slug = ("live", "free", "door", "small", "live", "free")[n % 6]
        payload = {
            "name": f"Person {n}",
            "email": f"person{n}@fault.test",
            "language": ("en", "zh-hans", "ja")[n % 3],
            "guests": [f"Guest of {n}"] if n % 5 == 0 else [],
            "pay_at_door": slug == "door",
            "consents": {"privacy": True},
        }
        outcome = Outcome(phase, "register", at, 0)
        await self._one(
            outcome, f"/api/v1/events/{slug}/registrations/", payload, {"Idempotency-Key": str(uuid.uuid4())}
        )
        if 200 <= outcome.status < 300 and slug == "live" and outcome.body.get("status") == "confirmed":
            self.fresh_codes.extend(ticket["code"] for ticket in outcome.body.get("tickets", []))

    async def checkin(self, phase: str, at: float) -> None:
        code = self.fresh_codes.popleft() if self.fresh_codes else next(self.pool)
        payload = {"code": code, "session": self.fixture["session"], "nonce": str(uuid.uuid4())}
        headers = {"Authorization": f"Token {self.fixture['token']}"}
        await self._one(Outcome(phase, "checkin", at, 0), "/api/v1/checkin/", payload, headers)

    async def phase(self, name: str, seconds: float, events: list[tuple[float, str, object]]) -> dict[str, float]:
        """Run ``seconds`` of load; ``events`` are (offset, label, blocking callable) run on the side.

        Returns the moment (run time) each event finished."""
        start = self.now()
        tasks = []
        marks: dict[str, float] = {}

        async def schedule(rate: float, send) -> None:
            total = int(rate * seconds)
            for i in range(total):
                at = start + i / rate
                delay = at - self.now()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(name, at)))

        async def side(offset: float, label: str, action) -> None:
            delay = start + offset - self.now()
            if delay > 0:
                await asyncio.sleep(delay)
            await asyncio.to_thread(action)
            marks[label] = self.now()
            print(f"  {marks[label]:7.1f} s  {label}", flush=True)

        await asyncio.gather(
            schedule(self.register_rate, self.register),
            schedule(self.checkin_rate, self.checkin),
            *(side(offset, label, action) for offset, label, action in events),
        )
        await asyncio.gather(*tasks)
        return marks


# --- checks ----------------------------------------------------------------------------------


def summarize(outcomes: list[Outcome], phase: str) -> dict:
    """Status counts of first attempts (what the faults did), then what was left after retries."""
    mine = [o for o in outcomes if o.phase == phase]
    statuses = collections.Counter(o.first_status for o in mine)
    return {
        "requests": len(mine),
        "register": sum(o.kind == "register" for o in mine),
        "checkin": sum(o.kind == "checkin" for o in mine),
        "2xx": sum(n for s, n in statuses.items() if 200 <= s < 300),
        "4xx": sum(n for s, n in statuses.items() if 400 <= s < 500),
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
        "no answer": statuses.get(0, 0),
        "retried": sum(o.attempts > 1 for o in mine),
        "  answered from the idempotency record": sum(o.replayed for o in mine),
        "  still failing after retries": sum(not 200 <= o.status < 300 for o in mine),
        "statuses": dict(sorted(statuses.items())),
        "p50 ms": round(statistics.median(o.ms for o in mine), 1) if mine else 0,
        "p99 ms": round(statistics.quantiles([o.ms for o in mine], n=100)[98], 1) if len(mine) > 1 else 0,
    }


def verify(outcomes: list[Outcome], sink: Sink, fixture: dict) -> dict:
    """Compare what the clients were told with the database and what the sink received."""
    from django.db.models import Count

    from checkin.models import CheckIn
    from notifications.models import Notification
    from notifications.outbox import STATUS_KINDS
    from registrations.models import Registration, Ticket

    found: dict = {}
    answered = [o for o in outcomes if o.kind == "register" and 200 <= o.status < 300]
    ids = {o.body["id"]: o for o in answered}
    in_db = {r.pk: r for r in Registration.objects.filter(pk__in=list(ids))}
    tickets = collections.Counter(
        Ticket.objects.filter(registration_id__in=list(ids)).values_list("registration_id", flat=True)
    )
    found["registrations answered 2xx"] = len(answered)
    found["  missing from the database"] = sum(1 for pk in ids if pk not in in_db)
    found["  with missing tickets"] = sum(1 for pk, o in ids.items() if tickets.get(pk, 0) != o.body.get("party_size"))

    scans = [o for o in outcomes if o.kind == "checkin" and 200 <= o.status < 300]
    ok = [o for o in scans if o.body.get("status") == "ok"]
    nonces = [uuid.UUID(o.request["nonce"]) for o in ok]
    stored = set(CheckIn.objects.filter(nonce__in=nonces).values_list("nonce", flat=True))
    found["check-ins answered ok"] = len(ok)
    found["  scans answered 2xx but not ok"] = len(scans) - len(ok)
    found["  not in the database"] = sum(1 for nonce in nonces if nonce not in stored)
    doubled = (
        CheckIn.objects.filter(direction="in", reverted_at__isnull=True, is_duplicate=False)
        .values("ticket_id", "session_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    found["  tickets checked in twice"] = doubled

    # Every registration made over HTTP (answered or not), and the email its status calls for.
    everyone = Registration.objects.exclude(email__in=fixture["pool_emails"]).values_list("email", "status")
    expected = collections.Counter((email.lower(), STATUS_KINDS[status]) for email, status in everyone)
    received = collections.Counter((recipient, kind) for _t, recipient, kind in sink.messages)
    found["registrations in the database"] = len(everyone)
    found["  made although the client got no 2xx"] = len(everyone) - len(answered)
    found["status emails expected"] = sum(expected.values())
    found["  received exactly once"] = sum(1 for key in expected if received.get(key) == 1)
    found["  lost (not received)"] = sum(1 for key in expected if key not in received)
    found["  received more than once"] = sum(1 for key in expected if received.get(key, 0) > 1)
    found["  unexpected emails"] = sum(n for key, n in received.items() if key not in expected)
    rows = collections.Counter(Notification.objects.values_list("status", flat=True))
    found["outbox rows by status"] = dict(sorted(rows.items()))
    # Claimed by the worker that was killed: the SMTP transaction may or may not have happened.
    in_doubt = Notification.objects.filter(status="sending").values_list("recipient", "kind")
    found["  left 'sending' by the killed worker"] = len(in_doubt)
    found["    of which the sink has"] = sum(1 for recipient, kind in in_doubt if (recipient.lower(), kind) in received)
    return found


def wait_for_drain(sink: Sink, *, timeout: float, settle: float = 30) -> float:
    """Until no outbox row is pending or sending, or nothing has moved for ``settle`` seconds (a row
    left ``sending`` by the killed worker stays so for 10 minutes); returns seconds waited."""
    from notifications.models import Notification

    start = time.monotonic()
    last, last_change = None, start
    while time.monotonic() - start < timeout:
        open_rows = collections.Counter(
            Notification.objects.filter(status__in=["pending", "sending"]).values_list("status", flat=True)
        )
        if not open_rows:
            break
        state = (open_rows["pending"], open_rows["sending"], sink.count())
        if state != last:
            last, last_change = state, time.monotonic()
        elif not open_rows["pending"] and time.monotonic() - last_change > settle:
            break
        time.sleep(1)
    waited = time.monotonic() - start
    time.sleep(2)  # anything sent twice would arrive now
    return waited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=float, default=20, help="seconds of load without faults")
    parser.add_argument("--seconds", type=float, default=110, help="seconds of load with faults")
    parser.add_argument("--register-rate", type=float, default=8.0)
    parser.add_argument("--checkin-rate", type=float, default=16.0)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--redis-down", type=float, default=6, help="seconds Redis stays down")
    parser.add_argument("--pg-port", type=int, default=5493, help="port of the bench's own PostgreSQL cluster")
    parser.add_argument("--pg-down", type=float, default=10, help="seconds PostgreSQL stays down")
    parser.add_argument("--smtp-delay", type=float, default=0.5, help="seconds per message while Redis goes away")
    parser.add_argument("--retries", type=int, default=2, help="resends of a request that got a 5xx or no answer")
    parser.add_argument("--timeout", type=float, default=20, help="seconds a client waits for an answer")
    parser.add_argument("--drain", type=float, default=240, help="at most this long for the outbox to empty")
    args = parser.parse_args()

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for old in LOG_DIR.glob("*.log"):
        old.unlink()
    postgres = Postgres(args.pg_port)
    postgres.init()
    postgres.start()
    try:
        run(args, postgres)
    finally:
        postgres.stop()


def run(args, postgres: Postgres) -> None:
    database_url = harness.fresh_database(DATABASE, admin_url=postgres.admin_url)
    harness.django_setup(database_url)
    scans = int(args.checkin_rate * (args.baseline + args.seconds)) + 100
    fixture = build_fixture(scans)

    redis_server = Redis(args.redis_port)
    redis_server.start()
    with harness.smtp_sink(Sink()) as (sink, smtp_port):
        extra = dict(
            CELERY_BROKER_URL=f"{redis_server.url}/0",
            CACHE_URL=f"{redis_server.url}/1",
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            # Rate limits on, far above this load: their cache reads and writes are part of the test.
            THROTTLE_REGISTER_IP="100000/min",
            THROTTLE_REGISTER_EMAIL="100/hour",
            THROTTLE_CHECKIN="100000/min",
            # The sweeper every 10 s, for rows whose task has had 15 s: the drain takes seconds, not minutes.
            NOTIFICATION_SWEEP_SECONDS="10",
            NOTIFICATION_SWEEP_GRACE_SECONDS="15",
        )
        env = harness.base_env(database_url, DJANGO_SETTINGS_MODULE="backend.settings", **extra)
        worker = Celery("worker", ["worker", "-l", "info", "-c", "2", "-n", "fault@%h", "--without-gossip"], env)
        beat = Celery("beat", ["beat", "-l", "info", "-s", str(LOG_DIR / "beat-schedule")], env)
        worker.start()
        beat.start()
        supervising = threading.Event()

        def supervisor() -> None:
            while not supervising.wait(0.5):
                worker.supervise()
                beat.supervise()

        threading.Thread(target=supervisor, daemon=True).start()
        try:
            with harness.gunicorn(database_url, workers=args.workers, log=LOG_DIR / "gunicorn.log", **extra) as base:
                load = Load(
                    base,
                    fixture,
                    register_rate=args.register_rate,
                    checkin_rate=args.checkin_rate,
                    retries=args.retries,
                    timeout=args.timeout,
                )
                print(
                    f"Load-and-fault test — {harness.machine()}; gunicorn {args.workers} workers, 1 Celery worker "
                    f"(prefork, 2), beat; {args.register_rate:g} registrations/s + {args.checkin_rate:g} scans/s; "
                    f"load average {os.getloadavg()[0]:.1f} before starting"
                )
                print(f"  {load.now():7.1f} s  baseline starts")
                asyncio.run(load.phase("baseline", args.baseline, []))
                s = args.seconds
                pg_at, redis_at = s * 0.32, s * 0.55

                def redis_stop_in_flight() -> None:
                    sink.delay = args.smtp_delay  # sends take this long now: some are mid-way when Redis goes
                    time.sleep(2)
                    redis_server.stop()

                def redis_start() -> None:
                    redis_server.start()
                    sink.delay = 0.0

                fault_start = load.now()
                print(f"  {fault_start:7.1f} s  fault phase starts")
                fault_marks = asyncio.run(
                    load.phase(
                        "faults",
                        s,
                        [
                            (s * 0.10, "worker SIGKILLed", worker.kill),
                            (s * 0.22, "worker restarted", worker.start),
                            (pg_at, "postgres stopped", postgres.stop),
                            (pg_at + args.pg_down, "postgres started", postgres.start),
                            (redis_at, "redis stopped (sends in flight)", redis_stop_in_flight),
                            (redis_at + 2 + args.redis_down, "redis started (empty)", redis_start),
                            (s * 0.80, "redis paused (SIGSTOP)", redis_server.pause),
                            (s * 0.80 + args.redis_down, "redis resumed (SIGCONT)", redis_server.resume),
                        ],
                    )
                )
                marks = {"baseline starts": 0.0, "fault phase starts": fault_start, **fault_marks}
                from django.db import connections

                connections.close_all()  # this process's own connection died with the server
                load_end = load.now()
                print(f"  {load_end:7.1f} s  load stops; draining the outbox (load average {os.getloadavg()[0]:.1f})")
                drained = wait_for_drain(sink, timeout=args.drain)
                print(f"  {load.now():7.1f} s  outbox drained after {drained:.1f} s")
        finally:
            supervising.set()
            worker.stop()
            beat.stop()
            redis_server.stop()

        outcomes = load.outcomes
        t_sink = [t - load.t0 for t, *_rest in sink.messages]
        first_mail_after_restart = min((t for t in t_sink if t > marks["worker restarted"]), default=float("nan"))
        fault_errors = [o.at for o in outcomes if o.phase == "faults" and not 200 <= o.first_status < 300]
        errors_after_redis = [t for t in fault_errors if t >= marks["redis stopped (sends in flight)"] - 3]
        last_mail = max(t_sink, default=float("nan"))
        results = verify(outcomes, sink, fixture)

    base_stats, fault_stats = summarize(outcomes, "baseline"), summarize(outcomes, "faults")
    print()
    print(f"{'first attempts':<40}{'baseline':>10}{'faults':>10}{'ratio':>9}")
    keys = ("requests", "register", "checkin", "2xx", "4xx", "5xx", "no answer", "retried")
    keys += ("  answered from the idempotency record", "  still failing after retries", "p50 ms", "p99 ms")
    for key in keys:
        a, b = base_stats[key], fault_stats[key]
        if key == "2xx" and a:
            ratio = f"{(b / fault_stats['requests']) / (a / base_stats['requests']):.2f}"  # share answered 2xx
        elif key.endswith("ms") and a:
            ratio = f"{b / a:.2f}"
        else:
            ratio = ""
        print(f"{key:<40}{a:>10}{b:>10}{ratio:>9}")
    print(f"status codes: baseline {base_stats['statuses']}, faults {fault_stats['statuses']}")
    errors = collections.Counter((o.kind, o.first_status, o.phase) for o in outcomes if not 200 <= o.first_status < 300)
    for (kind, status, phase), n in sorted(errors.items(), key=str):
        print(f"  first attempt failed: {phase} {kind} status {status or 'none (timeout or reset)'}: {n}")
    (LOG_DIR / "outcomes.json").write_text(
        json.dumps([[o.phase, o.kind, round(o.at, 3), o.status, round(o.ms, 1)] for o in outcomes])
    )
    print()
    print("timeline (5 s windows by scheduled send time): requests, not 2xx, p50 / max latency, marks")
    for start in range(0, int(max(o.at for o in outcomes)) + 1, 5):
        window = [o for o in outcomes if start <= o.at < start + 5]
        if not window:
            continue
        times = sorted(o.ms for o in window)
        here = ", ".join(label for label, t in marks.items() if start <= t < start + 5)
        print(
            f"  {start:4d}–{start + 5:<4d} s {len(window):5d} {sum(not 200 <= o.first_status < 300 for o in window):5d}"
            f"   {times[len(times) // 2]:8.0f} / {times[-1]:6.0f} ms   {here}"
        )
    print()
    print("recovery:")
    print(f"  first email after the worker restart: {first_mail_after_restart - marks['worker restarted']:.1f} s later")
    if errors_after_redis:
        print(
            f"  requests failed on first attempt from the Redis stop on: {len(errors_after_redis)}, the last "
            f"{max(errors_after_redis) - marks['redis started (empty)']:+.1f} s after it was back"
        )
    else:
        print("  requests failed on first attempt from the Redis stop on: 0")
    slow = base_stats["p99 ms"]
    # PostgreSQL down: what the first attempts were told (503 + Retry-After, never 500), and whether
    # resending after Retry-After got every request through.
    pg_window = [o for o in outcomes if marks["postgres stopped"] - 1 <= o.at < marks["postgres started"]]
    pg_statuses = collections.Counter(o.first_status for o in pg_window)
    pg_503 = [o for o in pg_window if o.first_status == 503]
    pg_without_header = sum(1 for o in pg_503 if not o.retry_after)
    pg_500 = pg_statuses.get(500, 0)
    pg_error_codes = collections.Counter(o.body.get("error", {}).get("code") for o in pg_503 if o.status == 503)
    print(
        f"  postgres stopped {marks['postgres started'] - marks['postgres stopped']:.1f} s: {len(pg_window)} requests "
        f"meanwhile, first answers {dict(sorted(pg_statuses.items()))}; 503 with Retry-After "
        f"{len(pg_503) - pg_without_header} of {len(pg_503)} (values {sorted({o.retry_after for o in pg_503})}); "
        f"500: {pg_500}; still failing after resends: {sum(not 200 <= o.status < 300 for o in pg_window)}"
        + (f" (codes {dict(pg_error_codes)})" if pg_error_codes else "")
    )
    faults = (
        ("postgres stopped", "postgres started", marks["redis stopped (sends in flight)"] - 3),
        ("redis stopped (sends in flight)", "redis started (empty)", marks["redis paused (SIGSTOP)"] - 5),
        ("redis paused (SIGSTOP)", "redis resumed (SIGCONT)", load_end),
    )
    for down, up, until in faults:
        during = [o for o in outcomes if marks[down] <= o.at < marks[up]]
        late = [o.at for o in outcomes if marks[up] <= o.at < until and o.ms > slow]
        n_failed = sum(not 200 <= o.first_status < 300 for o in during)
        print(
            f"  {down} → {up.split()[1]}: {len(during)} requests scheduled meanwhile, "
            f"{n_failed} failed, slowest {max(o.ms for o in during):.0f} ms; "
            f"latency back under the baseline p99 ({slow:.0f} ms) "
            f"{(max(late) - marks[up]) if late else 0:.1f} s after"
        )
    for process in (worker, beat):
        for at, code in process.crashes:
            print(f"  {process.name} exited by itself (code {code}) at {at - load.t0:.1f} s; restarted by the bench")
    print(f"  last email {last_mail - load_end:.1f} s after the load stopped (outbox empty after {drained:.1f} s)")
    print()
    for key, value in results.items():
        print(f"{key:<44} {value}")
    bad = [
        key
        for key in (
            "  missing from the database",
            "  not in the database",
            "  with missing tickets",
            "  tickets checked in twice",
            "  lost (not received)",
            "  received more than once",
            "  unexpected emails",
        )
        if results.get(key)
    ]
    if results["outbox rows by status"].get("pending"):
        bad.append("outbox rows still pending")
    lost_or_doubled = bool(bad)
    print()
    print("lost or duplicated: " + ("NONE" if not lost_or_doubled else "YES — " + ", ".join(k.strip() for k in bad)))
    crashes = [(process.name, at, code) for process in (worker, beat) for at, code in process.crashes]
    if crashes:
        bad.append("a Celery process exited by itself (restarted by the bench, not by itself)")
    if pg_500 or pg_without_header:
        bad.append("500s or 503s without Retry-After while PostgreSQL was down")
    failed = bool(bad)
    print("worker and beat carried on by themselves: " + ("YES" if not crashes else f"NO — {crashes}"))
    print("while PostgreSQL was down: " + ("503 + Retry-After only" if not (pg_500 or pg_without_header) else "NO"))
    in_doubt = results["  left 'sending' by the killed worker"]
    if in_doubt:
        # Not lost (the sink check above covers that), but in doubt from the app's side: such a row
        # turns "failed" after 10 minutes for an admin to look at, and is never resent on its own.
        print(
            f"in doubt: {in_doubt} row(s) claimed when the worker was "
            f"killed; the sink has {results['    of which the sink has']} of them"
        )
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
