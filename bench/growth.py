"""Cost as the work grows: check-in and registration throughput with 1,000 and with 200,000 rows
already in the database (issue 18, item 5), on PostgreSQL + gunicorn.

    .venv/bin/python -m bench.growth [--sizes 1000 200000] [--seconds 10] [--rounds 2]

Each size gets a database of its own, filled before anything is measured: one event with that
many confirmed registrations, each with its ticket, its ticket line, its confirmation in the
outbox and its check-in at the session being scanned (what a season of a busy office leaves
behind). Then, round after round, the sizes take turns on the same gunicorn settings (in
alternating order), a closed loop of scans of tickets not scanned yet and a closed loop of new
registrations on that same event each. A shared machine's speed drifts by more than the effect
sought, so each round's two sizes, measured a few seconds apart, make one ratio large / small, and
the figure is the median of the rounds' ratios (target ≥ 0.90). Afterwards: no ticket checked in
twice and the event's seat counters equal its registrations.

The filling and the checks run in child processes (one Django per database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import harness

HERE = Path(__file__).resolve().parent
SCANS_PER_ROUND = 20_000  # more than a round can scan here (~1,000 scans/s at most)


def fill(database_url: str, size: int, fresh: int, out: Path) -> None:
    """Child process: ``size`` registrations with everything they leave behind, ``fresh`` tickets to scan."""
    harness.django_setup(database_url)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from checkin.models import CheckIn
    from events.models import Event, Session
    from notifications.models import Notification
    from organizations.models import Membership, Organization
    from registrations.models import Registration, RegistrationLine, Ticket
    from registrations.services import event_recount
    from registrations.tickets import ticket_code

    organization = Organization.objects.create(slug="bench", name={"en": "Bench"})
    volunteer = get_user_model().objects.create_user("door", "door@bench.example", "x")
    Membership.objects.create(user=volunteer, organization=organization, role=Membership.Role.VOLUNTEER)
    token = Token.objects.create(user=volunteer).key
    event = Event.objects.create(
        organization=organization, slug="season", title={"en": "Season"}, capacity=10_000_000, status="published"
    )
    now = timezone.now()
    session = Session.objects.create(
        event=event, starts_at=now - dt.timedelta(minutes=10), ends_at=now + dt.timedelta(hours=3)
    )
    batch = 5_000
    codes: list[str] = []
    for start in range(0, size + fresh, batch):
        numbers = range(start, min(start + batch, size + fresh))
        registrations = Registration.objects.bulk_create(
            Registration(
                event=event, name=f"Guest {i}", email=f"g{i}@bench.example", status="confirmed", confirmed_at=now
            )
            for i in numbers
        )
        tickets = Ticket.objects.bulk_create(
            Ticket(registration=r, position=0, name=r.name, short_code=harness.short_code(i))
            for i, r in zip(numbers, registrations, strict=True)
        )
        RegistrationLine.objects.bulk_create(
            RegistrationLine(registration=r, ticket=t, name=r.name, unit_price=0, amount=0)
            for r, t in zip(registrations, tickets, strict=True)
        )
        old = [(i, r, t) for i, r, t in zip(numbers, registrations, tickets, strict=True) if i < size]
        Notification.objects.bulk_create(
            Notification(
                registration=r,
                recipient=r.email,
                kind="confirmation",
                language="en",
                dedupe_key=f"confirmation:reg-{r.pk}",
                status="sent",
                sent_at=now,
            )
            for _, r, _ in old
        )
        CheckIn.objects.bulk_create(
            CheckIn(ticket=t, registration=r, session=session, scanned_at=now, nonce=_uuid(i)) for i, r, t in old
        )
        new = [t for i, t in zip(numbers, tickets, strict=True) if i >= size]
        codes += [ticket_code(ticket_id=t.pk) for t in new]
    event_recount(event_id=event.pk)
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have, long before a real rush
    out.write_text(json.dumps({"token": token, "session": session.pk, "codes": codes}))


def _uuid(i: int):
    import uuid

    return uuid.UUID(int=i + 1)


def check(database_url: str) -> None:
    """Child process: no ticket counted twice, the counters equal the registrations. Exit 1 if not."""
    harness.django_setup(database_url)
    from django.db.models import Sum

    from checkin.models import CheckIn
    from events.models import Event
    from registrations.models import Registration

    effective = CheckIn.objects.filter(direction="in", reverted_at__isnull=True, is_duplicate=False)
    total, distinct = effective.count(), effective.values("ticket_id").distinct().count()
    event = Event.objects.get(slug="season")
    seats = Registration.objects.filter(event=event).holding_seats().aggregate(n=Sum("party_size"))["n"] or 0
    print(
        f"  {total} effective check-ins for {distinct} tickets "
        f"({'no ticket counted twice' if total == distinct else 'DOUBLE COUNTED'}); "
        f"seats held {event.seats_held} for {seats} registrations holding seats "
        f"({'counters right' if seats == event.seats_held else 'COUNTERS WRONG'})"
    )
    raise SystemExit(0 if total == distinct and seats == event.seats_held else 1)


def child(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "bench.growth", *args], cwd=harness.ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[1_000, 200_000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--checkin-connections", type=int, default=50)
    parser.add_argument("--registration-connections", type=int, default=32)
    parser.add_argument("--fill", nargs=3, metavar=("DATABASE_URL", "SIZE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--check", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        url, size, out = args.fill
        return fill(url, int(size), SCANS_PER_ROUND * args.rounds + 2_000, Path(out))
    if args.check:
        return check(args.check)

    workdir = Path(tempfile.mkdtemp(prefix="huiguan-growth-"))
    worlds = {}
    for size in args.sizes:
        url = harness.fresh_database(f"huiguan_bench_growth_{size}")
        started = time.monotonic()
        child("--rounds", str(args.rounds), "--fill", url, str(size), str(workdir / f"{size}.json"))
        world = json.loads((workdir / f"{size}.json").read_text())
        codes = world["codes"]
        for n in range(args.rounds):
            (workdir / f"{size}-{n}.txt").write_text("\n".join(codes[2_000 + n * SCANS_PER_ROUND :][:SCANS_PER_ROUND]))
        (workdir / f"{size}-warm.txt").write_text("\n".join(codes[:2_000]))
        worlds[size] = (url, world)
        took = time.monotonic() - started
        print(f"filled {size:,} registrations, tickets, lines, outbox rows and check-ins in {took:.0f}s")

    print(
        f"Growth benchmark — {harness.machine()}, gunicorn {args.workers} sync workers, "
        f"{args.rounds} rounds of {args.seconds}s per endpoint and size"
    )
    results: dict[tuple[str, int], list[harness.LoadResult]] = {}
    for n in range(args.rounds):
        for size in args.sizes if n % 2 == 0 else args.sizes[::-1]:
            url, world = worlds[size]
            scan_args = [str(world["session"]), "2", world["token"]]
            with harness.gunicorn(url, workers=args.workers, CELERY_BROKER_URL="redis://127.0.0.1:6379/14") as base:
                # endpoint: its URL, script, connections, then its warm-up's and its run's script arguments
                loads = {
                    "check-in": (
                        f"{base}/api/v1/checkin/", HERE / "checkin.lua", args.checkin_connections,
                        [str(workdir / f"{size}-warm.txt"), *scan_args],
                        [str(workdir / f"{size}-{n}.txt"), *scan_args],
                    ),
                    "registration": (
                        f"{base}/api/v1/events/season/registrations/", HERE / "registration.lua",
                        args.registration_connections, [f"warm{size}r{n}"], [f"g{size}r{n}t{int(time.time())}"],
                    ),
                }  # fmt: skip
                # A new gunicorn each time: imports, connections and caches warm before measuring
                # (a warm-up scan repeated in a later round answers "already checked in", as well).
                for endpoint_url, script, _, warm_args, _ in loads.values():
                    harness.wrk("warm-up", endpoint_url, connections=8, seconds=2, script=script, script_args=warm_args)
                measured = {
                    endpoint: harness.wrk(
                        f"{endpoint}, {size:,} rows, round {n + 1}",
                        endpoint_url,
                        connections=connections,
                        seconds=args.seconds,
                        script=script,
                        script_args=run_args,
                    )
                    for endpoint, (endpoint_url, script, connections, _, run_args) in loads.items()
                }
            for endpoint, result in measured.items():
                print(result.line())
                if result.errors:
                    raise SystemExit(f"{result.label}: {result.errors} errors")
                results.setdefault((endpoint, size), []).append(result)

    small, large = args.sizes
    failed = False
    for endpoint in ("check-in", "registration"):
        pairs = list(zip(results[(endpoint, small)], results[(endpoint, large)], strict=True))
        ratios = [round(b.rps / a.rps, 2) for a, b in pairs]
        ratio = statistics.median(ratios)
        failed |= ratio < 0.9
        print(
            f"{endpoint}: median {statistics.median(a.rps for a, _ in pairs):.1f} req/s with {small:,} rows, "
            f"{statistics.median(b.rps for _, b in pairs):.1f} with {large:,}; ratio per round {ratios}, "
            f"median {ratio:.2f} (target ≥ 0.90) — {'met' if ratio >= 0.9 else 'NOT met'}"
        )
    for size in args.sizes:
        print(f"database with {size:,} rows:")
        child("--check", worlds[size][0])
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
