"""Written questions (issue 14): the citizen's form when nobody is there, and the clerk's
take from the console's list. Each view validates input and calls one domain function."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from consult.consultations import selectors
from consult.errors import DomainError, message_for
from consult.queue import questions
from consult.queue import selectors as queue_selectors
from consult.staff import selectors as staff_selectors

from .forms import FeedbackForm, QuestionForm, WriteInsteadForm
from .views import room_page, to_room

FIELD_OF_ERROR = {
    "empty_message": "question",
    "message_too_long": "question",
    "invalid_characters": "question",
    "invalid_email": "email",
    "email_too_long": "email",
}


@require_http_methods(["GET", "HEAD", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    """Write a question now, read the answer later in the room (whose link we keep in the
    session, and send by e-mail once answered if the citizen gave an address)."""
    if request.method != "POST":
        initial = {
            "topic": request.GET.get("topic", ""),
            "service": request.GET.get("service", "")[:100],
        }
        return _form(request, QuestionForm(initial=initial))
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            asked = questions.ask_question(
                topic_slug=form.cleaned_data["topic"],
                service_slug=form.cleaned_data["service"],
                question=form.cleaned_data["question"],
                email=form.cleaned_data["email"],
            )
        except DomainError as error:
            form.add_error(FIELD_OF_ERROR.get(error.code), message_for(error.code))
        else:
            return to_room(request, asked)
    return _form(request, form, status=400)


def _form(request: HttpRequest, form: QuestionForm, status: int = 200) -> HttpResponse:
    return render(request, "frontend/question_form.html", {"form": form}, status=status)


@login_required
@require_POST
def take(request: HttpRequest, pk: int) -> HttpResponse:
    """A clerk takes a written question from the console's list: it opens in their chats."""
    if staff_selectors.clerk_profile(request.user) is None:
        raise PermissionDenied
    try:
        questions.take_question(consultation_id=pk, clerk=request.user)
    except DomainError as error:
        request.session["console_notice"] = message_for(error.code)
    return redirect("frontend:console")


@login_required
@require_safe
def open_list(request: HttpRequest) -> HttpResponse:
    """The console's list of written questions as an HTML fragment (console.html includes it
    too): fetched again when the console's live count changes."""
    if staff_selectors.clerk_profile(request.user) is None:
        raise PermissionDenied
    return render(
        request,
        "frontend/includes/open_questions.html",
        {"open_questions": queue_selectors.open_questions(request.user)},
    )


@require_POST
def write_instead(request: HttpRequest, token: str) -> HttpResponse:
    """In the waiting room: this consultation becomes a written question (the room shows
    it); a form with errors is shown again in the room (400)."""
    consultation = selectors.consultation_by_token(token)
    if consultation is None:
        raise Http404
    form = WriteInsteadForm(request.POST)
    if form.is_valid():
        try:
            questions.write_instead(
                public_token=token,
                question=form.cleaned_data["question"],
                email=form.cleaned_data["email"],
            )
        except DomainError as error:
            if error.code == "not_waiting":  # a clerk took it meanwhile: the room shows it
                return redirect("frontend:room", token=token)
            form.add_error(FIELD_OF_ERROR.get(error.code), message_for(error.code))
        else:
            return redirect("frontend:room", token=token)
    return room_page(request, consultation, FeedbackForm(), status=400, instead=form)
