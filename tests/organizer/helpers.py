"""Helpers for the desk's tests: a signed-in browser client per role, and the world they share."""

from __future__ import annotations

from types import SimpleNamespace

from django.test import Client

from organizations.models import Membership
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, UserFactory


def desk_client(user=None, *, language: str | None = None) -> Client:
    """A browser-like client, logged in as ``user`` (anonymous without), in ``language`` if given."""
    client = Client(headers={"accept-language": language} if language else {})
    if user is not None:
        client.force_login(user)
    return client


def desk_world(*, events: bool = True, **organization) -> SimpleNamespace:
    """Two organizations; an owner, a manager and a volunteer of the first, a manager of the second;
    one published event of each (unless ``events=False``). ``organization``: the first one's fields."""
    w = SimpleNamespace()
    w.org = OrganizationFactory(**{"slug": "tea-club", **organization})
    w.org2 = OrganizationFactory(slug="chess-club")
    w.owner = UserFactory(username="owner")
    w.manager = UserFactory(username="manager")
    w.volunteer = UserFactory(username="volunteer")
    w.other = UserFactory(username="other-manager")
    for user, org, role in (
        (w.owner, w.org, Membership.Role.OWNER),
        (w.manager, w.org, Membership.Role.MANAGER),
        (w.volunteer, w.org, Membership.Role.VOLUNTEER),
        (w.other, w.org2, Membership.Role.MANAGER),
    ):
        MembershipFactory(user=user, organization=org, role=role)
    if events:
        w.event = EventFactory(organization=w.org, slug="tea-evening")
        w.event2 = EventFactory(organization=w.org2, slug="chess-night")
    return w


def form_data(form) -> dict:
    """What a browser would post for an unbound form as rendered (translations as one box per language)."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        widget_type = form[name].widget_type
        if widget_type == "translations":
            for code in field.widget.get_languages():
                data[f"{name}_{code}"] = (value or {}).get(code, "")
        elif value is None or value is False:
            continue
        elif value is True:
            data[name] = "on"
        else:
            data[name] = value
    return data
