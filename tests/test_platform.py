"""The deployment surface: settings per environment, health endpoint, the docker stack."""

from pathlib import Path

import pytest
import yaml
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_sqlite_runs_in_wal_with_busy_timeout(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_compose_stack_is_complete():
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "list-worker", "beat"} <= set(services)
    for name in ("db", "redis", "web", "worker", "list-worker"):
        assert services[name].get("healthcheck"), f"{name} has no healthcheck"
    for name in ("web", "worker", "list-worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["CELERY_BROKER_URL"].startswith("redis://")
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "gunicorn" in dockerfile and "USER" in dockerfile
    # List mail on its own worker: the main one takes the default queue only.
    assert services["worker"]["command"] == ["worker", "-Q", "celery"]
    assert services["list-worker"]["command"] == ["list-worker"]
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    assert "list-worker)" in entrypoint and "-Q lists --pool=threads" in entrypoint


def test_list_mail_has_its_own_queue_and_a_plain_worker_consumes_both():
    from backend.celery import app

    router = app.amqp.router
    assert router.route({}, "notifications.tasks.send_list_chunk")["queue"].name == "lists"
    assert router.route({}, "notifications.tasks.prepare_list_message")["queue"].name == "lists"
    assert router.route({}, "notifications.tasks.send_notification")["queue"].name == "celery"
    assert {queue.name for queue in app.amqp.queues.values()} == {"celery", "lists"}  # no -Q: both


def test_settings_refuse_to_start_without_secret_key_in_production():
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "DEBUG": "0", "HUIGUAN_VAR_DIR": str(ROOT / "var" / "test")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='backend.settings'; django.setup()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_openapi_schema_is_valid_without_warnings(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/checkin/" in out.read_text()


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7!k2-production-like-secret-key-with-enough-length-and-variety-0123456789",
    "ALLOWED_HOSTS": "huiguan.example.org",
    "SITE_URL": "https://huiguan.example.org",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "1",
    "LOG_FORMAT": "json",
}


def test_production_settings_pass_check_deploy(tmp_path):
    """`manage.py check --deploy` is clean with the production environment of docker/.env.example."""
    import os
    import subprocess
    import sys

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HUIGUAN_VAR_DIR": str(tmp_path), **PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_json_logs(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HUIGUAN_VAR_DIR": str(tmp_path), **PRODUCTION_ENV}
    code = "import django, logging; django.setup(); logging.getLogger('huiguan').warning('door %s open', 3)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "backend.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["level"] == "WARNING" and line["message"] == "door 3 open" and line["logger"] == "huiguan"


def test_every_beat_entry_names_a_registered_task():
    """A typo in backend/celery.py's schedule would only show as an error in the beat log."""
    from backend.celery import app

    app.loader.import_default_modules()
    scheduled = {name: entry["task"] for name, entry in app.conf.beat_schedule.items()}
    assert {name: task for name, task in scheduled.items() if task not in app.tasks} == {}
