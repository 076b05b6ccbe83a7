"""What the personal-data desk adds to the organizers' admin: an action on the event list.

Desks do not import each other, so the event admin (``organizer.admin``) does not know this
action; ``PrivacyConfig.ready`` adds it to the registered event admin once every admin module
is loaded.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.exceptions import DomainError
from events.models import Event
from privacy.services import event_registrations_anonymise


@admin.action(description=_("Anonymise the registrations of selected events that have ended"), permissions=["change"])
def anonymise_registrations(modeladmin, request, queryset):
    """Names, emails and answers go; seats, check-ins and payments stay for the reports."""
    total = 0
    for event in queryset:
        try:
            count = event_registrations_anonymise(event=event)
        except DomainError as exc:
            modeladmin.message_user(request, format_html("{}: {}", event, exc.message), messages.ERROR)
            continue
        total += count
        modeladmin.log_change(request, event, f"Anonymised {count} registration(s).")
    modeladmin.message_user(
        request,
        ngettext("%(count)d registration anonymised.", "%(count)d registrations anonymised.", total) % {"count": total},
        messages.SUCCESS,
    )


def contribute_actions(site: admin.AdminSite = admin.site) -> None:
    model_admin = site.get_model_admin(Event)
    if anonymise_registrations not in model_admin.actions:
        model_admin.actions = [*model_admin.actions, anonymise_registrations]
