"""Forms of the desk's comments inbox: filters, status, assignment, notes, the answer."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.pages import language_name
from voices.models import MAX_NOTE, MAX_REPLY, Comment


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(self, *args, members: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        everything = pgettext_lazy("filter", "All")
        self.fields["status"].choices = [("", everything), *Comment.Status.choices]
        self.fields["topic"].choices = [("", everything), *Comment.Topic.choices]
        self.fields["assignee"].choices = [
            ("", everything),
            ("none", _("Nobody yet")),
            *[(str(pk), name) for pk, name in members],
        ]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Move to"))

    def __init__(self, *args, allowed: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(value, Comment.Status(value).label) for value in allowed]


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args, members: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody")), *[(str(pk), name) for pk, name in members]]

    def assignee_id(self) -> int | None:
        value = self.cleaned_data.get("assignee")
        return int(value) if value else None


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Internal note"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your team sees notes."),
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Answer"), max_length=MAX_REPLY, widget=forms.Textarea(attrs={"rows": 8}))
    language = forms.ChoiceField(label=_("Language of the answer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, language_name(code)) for code, _name in settings.LANGUAGES]
