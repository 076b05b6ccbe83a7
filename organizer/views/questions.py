"""An event's registration questions on the desk: add, change, reorder, remove.

Every change saves the whole list through ``events.services.event_set_questions``, the service
the API uses, so positions, keys and the audit entry are the same whichever way it was edited.
A question's key never changes once made: answers given so far are stored under it.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from events import services as events_services
from events.limits import MAX_QUESTIONS
from events.models import Event, Question
from organizer.desk_forms import DeskQuestionForm
from organizer.views.base import desk_page, desk_render, managed_event


def _questions(event: Event) -> list[Question]:
    return list(event.questions.order_by("position", "id"))


def _as_data(question: Question) -> dict:
    return {
        "key": question.key,
        "kind": question.kind,
        "label_i18n": question.label,
        "required": question.required,
        "choices": question.choices,
        "show_at_checkin": question.show_at_checkin,
    }


def _from_form(form: DeskQuestionForm, key: str) -> dict:
    data = form.cleaned_data
    return {
        "key": key,
        "kind": data["kind"],
        "label_i18n": data["label"],
        "required": data["required"],
        "choices": data["choices"],
        "show_at_checkin": data["show_at_checkin"],
    }


def _new_key(event: Event, label: dict[str, str], questions: list[Question]) -> str:
    """A stable key from the English label if there is one ("Dietary needs" → dietary-needs),
    else question-<n>; never one already used by this event."""
    taken = {question.key for question in questions}
    base = slugify(label.get("en", ""))[:40] or f"question-{len(questions) + 1}"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _save(request: HttpRequest, event: Event, questions: list[dict]) -> None:
    events_services.event_set_questions(user=request.user, event=event, questions=questions)


def _managed_question(event: Event, key: str) -> Question:
    question = event.questions.filter(key=key).first()
    if question is None:
        raise Http404
    return question


@desk_page
def questions_page(request: HttpRequest, slug: str) -> HttpResponse:
    event = managed_event(request, slug)
    questions = _questions(event)
    return desk_render(
        request,
        "organizer/questions.html",
        {"questions": questions, "can_add": len(questions) < MAX_QUESTIONS},
        event=event,
    )


@desk_page
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, slug: str, key: str | None = None) -> HttpResponse:
    event = managed_event(request, slug)
    questions = _questions(event)
    question = _managed_question(event, key) if key else None
    if question is None and len(questions) >= MAX_QUESTIONS:
        messages.error(request, _("An event can ask at most %(max)d questions.") % {"max": MAX_QUESTIONS})
        return redirect("desk:event-questions", slug=event.slug)
    form = DeskQuestionForm(request.POST or None, event=event, question=question)
    if request.method == "POST" and form.is_valid():
        if question is None:
            key = _new_key(event, form.cleaned_data["label"], questions)
            data = [*(_as_data(q) for q in questions), _from_form(form, key)]
        else:
            data = [_from_form(form, q.key) if q.pk == question.pk else _as_data(q) for q in questions]
        _save(request, event, data)
        messages.success(request, _("Question saved."))
        return redirect("desk:event-questions", slug=event.slug)
    return desk_render(
        request,
        "organizer/question_form.html",
        {"form": form, "question": question},
        status=400 if request.method == "POST" else 200,
        event=event,
    )


@require_POST
@desk_page
def question_move(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    event = managed_event(request, slug)
    questions = _questions(event)
    question = _managed_question(event, key)
    index = next(n for n, q in enumerate(questions) if q.pk == question.pk)
    target = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= target < len(questions):
        questions[index], questions[target] = questions[target], questions[index]
        _save(request, event, [_as_data(q) for q in questions])
    return redirect("desk:event-questions", slug=event.slug)


@require_POST
@desk_page
def question_delete(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    event = managed_event(request, slug)
    question = _managed_question(event, key)
    _save(request, event, [_as_data(q) for q in _questions(event) if q.pk != question.pk])
    messages.success(request, _("Question removed. Answers already given stay with the registrations."))
    return redirect("desk:event-questions", slug=event.slug)
