"""Registration throughput under concurrency vs a bare Django endpoint, on PostgreSQL + gunicorn.

    .venv/bin/python -m bench.registration [--seconds 15] [--connections 32] [--workers 5]

Prints the throughputs and latencies of the bare view, the registration's limit (bench/limits.py:
its SQL through a raw cursor) and the real endpoint, both ratios (target: ≥ 0.70 of the limit), then
floods a 200-seat event and checks that exactly 200 seats were given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from bench import harness, profile

HERE = Path(__file__).resolve().parent
PROFILE_OUT = HERE.parent / "var" / "bench" / "profile-registration.txt"


def make_event(*, slug: str, capacity: int):
    from django.utils import timezone

    from events.models import Event, Session
    from organizations.models import Organization

    organization, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": {"en": "Bench"}})
    event = Event.objects.create(
        organization=organization, slug=slug, title={"en": slug}, capacity=capacity, status="published"
    )
    start = timezone.now() + dt.timedelta(days=7)
    Session.objects.create(event=event, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    return event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the real endpoint's run; summary by part (bench/profile.py)"
    )
    args = parser.parse_args()

    database_url = harness.fresh_database("huiguan_bench")
    harness.django_setup(database_url)
    from registrations.models import Registration

    make_event(slug="throughput", capacity=10_000_000)
    make_event(slug="limit", capacity=10_000_000)
    flood = make_event(slug="flood", capacity=200)
    run = str(int(time.time()))

    print(
        f"Registration benchmark — {harness.machine()}, gunicorn {args.workers} sync workers, "
        f"{args.connections} connections, {args.seconds}s each"
    )
    # Deployed shape: confirmation emails are queued on Redis for the workers, not built in the
    # request (no worker runs here; the queue is dropped afterwards).
    broker = "redis://127.0.0.1:6379/14"
    with harness.gunicorn(database_url, workers=args.workers, CELERY_BROKER_URL=broker) as base:
        # Warm up both paths (imports, connections, caches) before measuring.
        harness.wrk("warm-up", f"{base}/bench/bare/", connections=8, seconds=2, script=HERE / "bare_post.lua")
        harness.wrk(
            "warm-up",
            f"{base}/api/v1/events/throughput/registrations/",
            connections=8,
            seconds=2,
            script=HERE / "registration.lua",
            script_args=[f"w{run}"],
        )
        bare = harness.wrk(
            "bare Django JSON POST",
            f"{base}/bench/bare/",
            connections=args.connections,
            seconds=args.seconds,
            script=HERE / "bare_post.lua",
        )
        limit = harness.wrk(
            "limit: the registration's SQL, raw cursor",
            f"{base}/bench/limit/events/limit/registrations/",
            connections=args.connections,
            seconds=args.seconds,
            script=HERE / "registration.lua",
            script_args=[f"l{run}"],
        )
        with profile.record_if(args.profile, base.pid, PROFILE_OUT):
            register = harness.wrk(
                "POST /events/{slug}/registrations/",
                f"{base}/api/v1/events/throughput/registrations/",
                connections=args.connections,
                seconds=args.seconds,
                script=HERE / "registration.lua",
                script_args=[run],
            )
        flooded = harness.wrk(
            "flood a 200-seat event",
            f"{base}/api/v1/events/flood/registrations/",
            connections=args.connections,
            seconds=5,
            script=HERE / "registration.lua",
            script_args=[f"f{run}"],
        )

    import redis

    redis.Redis.from_url(broker).flushdb()
    confirmed = Registration.objects.filter(event=flood, status="confirmed").count()
    waitlisted = Registration.objects.filter(event=flood, status="waitlisted").count()
    print(bare.line())
    print(limit.line())
    print(register.line())
    print(flooded.line())
    print(f"ratio registration / bare: {register.rps / bare.rps:.2f}; limit / bare: {limit.rps / bare.rps:.2f}")
    ratio = register.rps / limit.rps
    print(f"ratio registration / its limit: {ratio:.2f} (target ≥ 0.70) — {'met' if ratio >= 0.70 else 'NOT met'}")
    made = confirmed + waitlisted
    right = confirmed == min(200, made)
    print(
        f"flood: {made} registrations → {confirmed} confirmed, {waitlisted} waitlisted "
        f"(capacity 200: {'no overbooking' if right else 'WRONG'})"
    )
    if args.profile:
        print(f"\nprofile of the real endpoint ({PROFILE_OUT}):\n{profile.summary(PROFILE_OUT)}")
    if not right or register.errors or bare.errors or limit.errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
