import pytest
from rest_framework.test import APIClient

from organizations.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def organization(db):
    return OrganizationFactory()


@pytest.fixture
def manager(organization):
    user = UserFactory()
    MembershipFactory(user=user, organization=organization, role=Membership.Role.MANAGER)
    return user


@pytest.fixture
def manager_client(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def stripe_stub(settings):
    from tests.stripe_stub import StripeStub

    with StripeStub() as stub:
        settings.STRIPE_SECRET_KEY = "sk_test_huiguan"
        settings.STRIPE_WEBHOOK_SECRET = "whsec_test_huiguan"
        settings.STRIPE_API_BASE = stub.url
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        yield stub


@pytest.fixture(autouse=True)
def _isolated_cache_and_language():
    """Each test starts with an empty cache (roles and sessions are cached by id, and SQLite reuses
    ids) and the default language (a request leaves its language active in the thread)."""
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    yield
    cache.clear()
    translation.deactivate()


def pytest_sessionstart(session):
    """Build the .mo files from the committed .po files if they are missing or stale, so a bare
    ``pytest`` tests the real translations too (``make test`` does the same with pybabel)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).resolve().parent.parent.glob("locale/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)
