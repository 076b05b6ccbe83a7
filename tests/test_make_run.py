"""`make run PORT=…` / `HOST=…`: the links the app writes (tickets, QR images, .ics, emails) use
the address runserver serves, so the QR on the manage page works right after registering."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_dry_run(*args: str, **env: str) -> str:
    environment = {key: value for key, value in os.environ.items() if key != "SITE_URL"} | env
    result = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return result.stdout


def command_env(output: str, command: str) -> dict[str, str]:
    """The VAR=value words in front of the line of ``output`` that runs ``command``."""
    [line] = [line for line in output.splitlines() if command in line]
    env = {}
    for word in shlex.split(line):
        match = re.fullmatch(r"([A-Z_]+)=(.*)", word)
        if not match:
            break
        env[match[1]] = match[2]
    return env


def links_in_a_process(env: dict[str, str], tmp_path) -> str:
    """Start Django with make's environment and print a registration's outgoing links."""
    code = (
        "import django; django.setup();"
        "from registrations.models import Registration; from registrations import selectors;"
        "r = Registration(pk=7, manage_token='tok', status='confirmed');"
        "print(selectors.registration_links(registration=r));"
        "print(selectors.ticket_image_url(registration=r, position=0, fmt='png'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HUIGUAN_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_port_is_the_port_of_every_link(tmp_path):
    output = make_dry_run("PORT=9101")

    serve = command_env(output, "runserver 127.0.0.1:9101")
    demo = command_env(output, "demo_data")
    assert serve["SITE_URL"] == demo["SITE_URL"] == "http://127.0.0.1:9101"
    links = links_in_a_process(serve, tmp_path)
    assert "http://127.0.0.1:9101/manage/tok/" in links
    assert "http://127.0.0.1:9101/api/v1/registrations/7/ticket.png?token=tok" in links
    assert "http://127.0.0.1:9101/api/v1/registrations/7/calendar.ics?token=tok" in links
    assert ":8000" not in links


def test_make_run_on_all_interfaces_links_to_this_machine_and_accepts_any_host():
    serve = command_env(make_dry_run("HOST=0.0.0.0", "PORT=9102"), "runserver 0.0.0.0:9102")
    assert serve["SITE_URL"] == "http://127.0.0.1:9102"
    assert serve["ALLOWED_HOSTS"] == "*"


def test_an_exported_site_url_wins():
    serve = command_env(make_dry_run("PORT=9103", SITE_URL="https://demo.example.org"), "runserver")
    assert serve["SITE_URL"] == "https://demo.example.org"
