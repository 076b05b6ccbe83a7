"""The README's backup and restore commands, run for real: pg_dump of the database, pg_restore
into a scratch database, and the restored data and schema read back. PostgreSQL only."""

import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.db import connection

from registrations.models import Registration
from tests.factories import EventFactory, RegistrationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _url(settings_dict: dict, name: str) -> str:
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{host}:{port}/{name}"


def test_pg_dump_and_pg_restore_round_trip(tmp_path):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not installed")
    event = EventFactory(title={"en": "Tea", "zh-hans": "茶艺"})
    registration = RegistrationFactory(event=event, name="Mei Chen", party_size=2)
    source = _url(connection.settings_dict, connection.settings_dict["NAME"])
    dump = tmp_path / "huiguan.dump"
    with dump.open("wb") as out:
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", source], stdout=out, check=True, timeout=120)

    scratch = f"huiguan_restore_{uuid.uuid4().hex[:8]}"
    admin_url = _url(connection.settings_dict, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        target = _url(connection.settings_dict, scratch)
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--dbname", target, str(dump)],
            check=True,
            timeout=120,
        )
        with psycopg.connect(target) as restored:
            row = restored.execute(
                "SELECT r.name, r.party_size, r.manage_token, e.title ->> 'zh-hans' FROM "
                f"{Registration._meta.db_table} r JOIN events_event e ON e.id = r.event_id WHERE r.id = %s",
                [registration.pk],
            ).fetchone()
            tickets = restored.execute(
                "SELECT count(*) FROM registrations_ticket WHERE registration_id = %s", [registration.pk]
            ).fetchone()[0]
            migrations = restored.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
        assert row == ("Mei Chen", 2, registration.manage_token, "茶艺")
        assert tickets == 2
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations")
            assert migrations == cursor.fetchone()[0]  # the schema is the code's
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
