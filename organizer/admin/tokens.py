"""API tokens in the organizer admin: managers issue, list and revoke tokens of their members.

The plain key is shown once, on the page that answers the "add" form (not in a flash message,
which would travel in a cookie); afterwards only its first characters are ever shown.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from common.exceptions import Forbidden
from organizations.models import ApiToken
from organizations.tokens import api_token_create, api_token_revoke, ensure_can_issue_token, manageable_token_user_ids
from organizer.admin.scoping import can_manage
from organizer.forms import UserIdentifierField


class ApiTokenAdminForm(forms.ModelForm):
    user = UserIdentifierField()

    issuer = None  # set by ApiTokenAdmin.get_form (a fresh class per request)

    class Meta:
        model = ApiToken
        fields = ["user", "name"]

    def clean_user(self):
        holder = self.cleaned_data["user"]
        try:
            ensure_can_issue_token(issuer=self.issuer, holder=holder)
        except Forbidden as exc:
            raise ValidationError(exc.message, code="forbidden") from exc
        return holder


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenAdminForm
    list_display = ("name", "user", "display_prefix", "created_at", "created_by", "last_used_at")
    list_select_related = ("user", "created_by")
    search_fields = ("name", "user__username", "user__email")
    readonly_fields = ("user", "name", "display_prefix", "created_at", "created_by", "last_used_at")
    actions = ("revoke_tokens",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = manageable_token_user_ids(user=request.user)
        return queryset if scope is None else queryset.filter(user_id__in=scope)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # revoke_tokens says what it does, and goes through the service
        return actions

    def get_fields(self, request, obj=None):
        return ("user", "name") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.issuer = request.user
        return form

    def _in_scope(self, request, obj) -> bool:
        if not can_manage(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request):
        return can_manage(request)

    def has_view_permission(self, request, obj=None):
        return self._in_scope(request, obj)

    def has_add_permission(self, request):
        return can_manage(request)

    def has_change_permission(self, request, obj=None):
        return False  # a token is issued or revoked, never edited

    def has_delete_permission(self, request, obj=None):
        return self._in_scope(request, obj)

    def save_model(self, request, obj, form, change):
        token, key = api_token_create(holder=form.cleaned_data["user"], name=obj.name, issuer=request.user)
        obj.pk, obj.digest, obj.prefix, obj.created_at = token.pk, token.digest, token.prefix, token.created_at
        obj.created_by = request.user
        request._issued_api_token_key = key

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("API token created"),
            "token": obj,
            "key": request._issued_api_token_key,
        }
        response = TemplateResponse(request, "admin/common/apitoken/created.html", context)
        response["Cache-Control"] = "private, no-store"
        return response

    def delete_model(self, request, obj):
        api_token_revoke(token=obj)

    def delete_queryset(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)

    @admin.action(description=_("Revoke selected API tokens"), permissions=["delete"])
    def revoke_tokens(self, request, queryset):
        tokens = list(queryset)
        self.log_deletions(request, queryset)  # while the rows still exist, as the admin's own delete does
        for token in tokens:
            api_token_revoke(token=token)
        count = len(tokens)
        self.message_user(request, _("API tokens revoked: %(count)d.") % {"count": count})

    @admin.display(description=_("starts with"))
    def display_prefix(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…"
