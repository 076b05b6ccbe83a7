"""The desk's team use cases: inviting a volunteer, issuing and revoking scanner tokens. Only ever
within the organizations the user manages; who may hold or revoke which token is
``organizations.tokens``' rule, not re-decided here (reads: ``organizer.selectors.team``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import InvalidInput, NotFound
from common.i18n import normalize_language
from organizations import access, tokens
from organizations.models import ApiToken, Membership, Organization
from organizer.selectors.team import team_tokens, token_holders

# --- inviting a volunteer ------------------------------------------------------------------------


def welcome_link(*, user) -> str:
    """A one-use link that lets ``user`` choose a password (Django's reset token: it stops
    working once a password is set or they log in)."""
    path = reverse(
        "desk:welcome",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def invitation_email(*, membership: Membership, inviter, language: str, new_account: bool) -> tuple[str, str]:
    """Subject and body of the invitation, in the volunteer's language."""
    with translation.override(language):
        context = {
            "organization": membership.organization.t("name", language),
            "inviter": inviter.get_full_name() or inviter.get_username(),
            "username": membership.user.get_username(),
            "link": welcome_link(user=membership.user)
            if new_account
            else f"{settings.SITE_URL}{reverse('scan:login')}",
            "new_account": new_account,
        }
        subject = _("You are invited to volunteer for %(organization)s") % context
        return subject, render_to_string("organizer/email/invite.txt", context)


@transaction.atomic
def volunteer_invite(*, inviter, organization: Organization, email: str, language: str) -> Membership:
    """Add someone as a volunteer of ``organization`` and email them: a new address gets an
    account and a link to choose its password; a known one is told where to sign in.

    Volunteers scan at the door and nothing else, which is why a manager may add one. Someone
    already in the organization keeps their role (InvalidInput). Locks: none (the membership's
    unique index decides a double submit). The email leaves after commit.
    """
    access.ensure_can_manage(user=inviter, organization_id=organization.pk)
    email = get_user_model().objects.normalize_email(email.strip()).lower()
    language = normalize_language(language) or organization.default_language
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).order_by("id").first()
    new_account = user is None or not user.has_usable_password()
    if user is None:
        if User.objects.filter(username__iexact=email).exists():
            raise InvalidInput(fields={"email": [_("This address already has an account under another name.")]})
        user = User(username=email, email=email)
        user.set_unusable_password()
        user.save()
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Membership.Role.VOLUNTEER}
    )
    if not created:
        raise InvalidInput(
            fields={
                "email": [
                    _("%(email)s is already a member (%(role)s).")
                    % {"email": email, "role": membership.get_role_display()}
                ]
            }
        )
    access.forget_roles(user_id=user.pk)
    subject, body = invitation_email(membership=membership, inviter=inviter, language=language, new_account=new_account)
    audit.record(
        actor=inviter,
        action=AuditAction.MEMBER_INVITE,
        organization_id=organization.pk,
        target_type="membership",
        target_id=membership.pk,
        target_label=f"{organization.slug} · volunteer #{user.pk}",  # no address: the log outlives people
        details={"new_account": new_account},
    )

    def send_invitation() -> None:
        send_mail(subject, body, None, [email])

    transaction.on_commit(send_invitation, robust=True)
    return membership


# --- scanner tokens ------------------------------------------------------------------------------


@transaction.atomic
def scanner_token_issue(*, issuer, holder_id: int, name: str) -> tuple[ApiToken, str]:
    """Issue a token for a member of the issuer's organizations (``tokens.ensure_can_issue_token``
    decides whom). Returns the row and the key, shown once. Locks: none."""
    holder = token_holders(user=issuer).filter(pk=holder_id).first()
    if holder is None:
        raise NotFound(_("This person is not a member of an organization you manage."))
    name = name.strip()
    if not name:
        raise InvalidInput(fields={"name": [_("Name the device, e.g. door phone 2.")]})
    token, key = tokens.api_token_create(holder=holder, name=name[:100], issuer=issuer)
    record_token(actor=issuer, action=AuditAction.TOKEN_CREATE, token=token)
    return token, key


@transaction.atomic
def scanner_token_revoke(*, user, token_id: int) -> None:
    """Revoke a token the user may see (another's is NotFound, as if it did not exist). Locks: the token row."""
    token = team_tokens(user=user).select_for_update(of=("self",)).filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    record_token(actor=user, action=AuditAction.TOKEN_REVOKE, token=token)
    tokens.api_token_revoke(token=token)


def record_token(*, actor, action: AuditAction, token: ApiToken) -> None:
    """One entry per organization the holder belongs to, so each organization's log shows it."""
    organization_ids = list(
        Membership.objects.filter(user_id=token.user_id).values_list("organization_id", flat=True)
    ) or [None]
    for organization_id in organization_ids:
        audit.record(
            actor=actor,
            action=action,
            organization_id=organization_id,
            target_type="api_token",
            target_id=token.pk,
            target_label=f"{token.prefix}… · user #{token.user_id}",
        )
