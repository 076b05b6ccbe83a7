"""The documented deployment: the compose file read strictly, the proxy header, supervised workers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import override_settings
from yaml.constructor import ConstructorError

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker" / "compose.yaml"


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one silently,
    and so does compose: a duplicate hides which value is meant). ``<<`` merges are allowed to be
    overridden, as compose does."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen = {}
    for key_node, _value in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r} (first at line {seen[key].line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def strict_load(text: str):
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass


def test_the_strict_loader_rejects_duplicate_keys_and_allows_merge_overrides():
    with pytest.raises(ConstructorError, match="duplicate key 'A'"):
        strict_load("env:\n  A: 1\n  B: 2\n  A: 3\n")
    merged = strict_load("base: &b\n  A: 1\n  B: 2\nservice:\n  <<: *b\n  A: 5\n")
    assert merged["service"] == {"A": 5, "B": 2}


def test_compose_file_has_no_duplicate_keys():
    compose = strict_load(COMPOSE.read_text())
    env = compose["services"]["web"]["environment"]
    assert env["DATA_UPLOAD_MAX_MEMORY_SIZE"] == "${DATA_UPLOAD_MAX_MEMORY_SIZE:-1048576}"


def test_every_long_running_service_restarts_by_itself_and_the_worker_is_probed():
    services = strict_load(COMPOSE.read_text())["services"]
    for name in ("db", "redis", "web", "worker", "beat"):
        assert services[name]["restart"] in ("unless-stopped", "always"), name
    # The worker's probe reads the file its consumer touches (backend/worker_liveness.py), not the
    # broker: `celery inspect ping` fails whenever Redis does, which says nothing about the worker.
    worker_check = " ".join(services["worker"]["healthcheck"]["test"])
    assert "backend.worker_liveness" in worker_check and "inspect ping" not in worker_check


def test_compose_defaults_are_secure_behind_its_proxy():
    env = strict_load(COMPOSE.read_text())["services"]["web"]["environment"]
    assert env["SECURE_COOKIES"] == "${SECURE_COOKIES:-true}"
    assert env["SECURE_SSL_REDIRECT"] == "${SECURE_SSL_REDIRECT:-true}"
    assert env["NUM_PROXIES"] == "${NUM_PROXIES:-1}"
    # the probe needs no header: /healthz is exempt from the HTTPS redirect
    assert "X-Forwarded-Proto" not in " ".join(
        strict_load(COMPOSE.read_text())["services"]["web"]["healthcheck"]["test"]
    )


def _settings_in_subprocess(tmp_path, **env) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'header': settings.SECURE_PROXY_SSL_HEADER, 'cookies': settings.SESSION_COOKIE_SECURE}))"
    )
    full = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HUIGUAN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "SECRET_KEY": "x" * 50,
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env", "trusted"),
    [
        ({}, False),
        ({"NUM_PROXIES": "0"}, False),
        ({"NUM_PROXIES": "1"}, True),
        ({"NUM_PROXIES": "1", "TRUST_X_FORWARDED_PROTO": ""}, True),  # compose passes it empty
        ({"NUM_PROXIES": "1", "TRUST_X_FORWARDED_PROTO": "false"}, False),
        ({"NUM_PROXIES": "0", "TRUST_X_FORWARDED_PROTO": "true"}, True),
    ],
)
def test_the_proxy_header_is_trusted_only_with_a_proxy(tmp_path, env, trusted):
    header = _settings_in_subprocess(tmp_path, **env)["header"]
    assert header == (["HTTP_X_FORWARDED_PROTO", "https"] if trusted else None)


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=None)
def test_without_a_proxy_a_client_cannot_claim_https(client, db):
    response = client.get("/api/v1/privacy/consent/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200  # the probe is exempt from the redirect


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_a_proxy_its_header_counts(client, db):
    assert client.get("/api/v1/privacy/consent/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
