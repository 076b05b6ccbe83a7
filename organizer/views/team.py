"""The team of my organizations: members and roles, inviting a volunteer, scanner tokens; and the
page where an invited volunteer chooses a password (``WelcomeView``, Django's reset-confirm)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.exceptions import DomainError, NotFound
from common.i18n import active_language
from organizer import team
from organizer.ops_forms import InviteForm, TokenForm
from organizer.selectors import team as team_reads
from organizer.views.base import desk_languages, desk_page, desk_render


def render_team(request, *, invite=None, token_form=None, new_key: str = "", status: int = 200) -> HttpResponse:
    organizations = list(team_reads.team_organizations(user=request.user))
    language = active_language()
    members = list(team_reads.team_members(user=request.user))
    for membership in members:
        membership.organization_name = membership.organization.t("name", language)
    context = {
        "members": members,
        "tokens": team_reads.team_tokens(user=request.user),
        "invite": invite or InviteForm(organizations=organizations, initial={"language": language}),
        "token_form": token_form or TokenForm(holders=team_reads.token_holders(user=request.user)),
        "new_key": new_key,
    }
    return desk_render(request, "organizer/team.html", context, status=status)


@require_GET
@desk_page
def team_page(request: HttpRequest) -> HttpResponse:
    return render_team(request)


@require_POST
@desk_page
def team_invite(request: HttpRequest) -> HttpResponse:
    invite = InviteForm(request.POST, organizations=team_reads.team_organizations(user=request.user))
    if invite.is_valid():
        try:
            membership = team.volunteer_invite(
                inviter=request.user,
                organization=invite.chosen_organization,
                email=invite.cleaned_data["email"],
                language=invite.cleaned_data["language"],
            )
        except DomainError as exc:
            for field, problems in (exc.fields or {"email": [exc.message]}).items():
                for problem in problems:
                    invite.add_error(field if field in invite.fields else None, problem)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": membership.user.email})
            return redirect("desk:team")
    return render_team(request, invite=invite, status=400)


@require_POST
@desk_page
def token_issue(request: HttpRequest) -> HttpResponse:
    token_form = TokenForm(request.POST, holders=team_reads.token_holders(user=request.user))
    if not token_form.is_valid():
        return render_team(request, token_form=token_form, status=400)
    token, key = team.scanner_token_issue(
        issuer=request.user, holder_id=int(token_form.cleaned_data["holder"]), name=token_form.cleaned_data["name"]
    )
    messages.success(request, _("Token made for %(user)s. Copy it now: it is shown only once.") % {"user": token.user})
    # The key is in this response only: never stored readable, never in a URL (desk_render: no-store).
    return render_team(request, new_key=key)


@require_POST
@desk_page
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        team.scanner_token_revoke(user=request.user, token_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Token revoked: it stops working at once."))
    return redirect("desk:team")


class WelcomeView(auth_views.PasswordResetConfirmView):
    """Django's reset-confirm view with the desk's look: the invitation's link works once (the
    token dies when the password is set), then the volunteer signs in to the scanner."""

    template_name = "organizer/welcome.html"
    success_url = reverse_lazy("scan:login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in to scan tickets."))
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "languages": desk_languages()}
