from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from messaging import selectors, services
from messaging.forms import MessageForm
from teletherapy.htmx import is_htmx


def _with_bodies(messages) -> list[dict]:
    return [
        {
            "message": m,
            "body": services.message_body(m),
            "files": [(a, services.attachment_name(a)) for a in m.attachments.all()],
        }
        for m in messages
    ]


@login_required
@require_safe
def conversation_list(request: HttpRequest) -> HttpResponse:
    conversations = selectors.conversation_list_for_user(user=request.user)
    if request.user.is_patient and len(conversations) == 1:
        return redirect("conversation", pk=conversations[0].pk)
    return render(request, "messaging/list.html", {"conversations": conversations})


@login_required
@require_safe
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The navigation's unread count alone, fetched again when a live event says it changed."""
    return render(request, "base.html#unread-badge")


def _thread_context(request, conversation, form=None, before: int | None = None) -> dict:
    page = selectors.thread_messages(conversation=conversation, before=before)
    return {
        "conversation": conversation,
        "thread_items": _with_bodies(page.messages),
        "page": page,
        "before": before,
        "form": form or MessageForm(),
        "can_write": services.conversation_can_write(conversation=conversation, user=request.user),
        "other_name": _other_name(request.user, conversation),
    }


def _other_name(user, conversation) -> str:
    if user.pk == conversation.patient_id:
        return conversation.therapist.display_name
    return conversation.patient.patient_profile.nickname


@login_required
@require_safe
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    thread = selectors.conversation_get_for_user(user=request.user, pk=pk)
    before = _before(request)
    if before is None:
        services.messages_mark_read(conversation=thread, reader=request.user)
    template = "messaging/thread.html"
    if is_htmx(request):
        # Earlier messages go above the list; a live refresh is the list alone, never the form
        # being typed.
        template += "#earlier-messages" if before is not None else "#message-list"
    return render(request, template, _thread_context(request, thread, before=before))


def _before(request: HttpRequest) -> int | None:
    """The ``before`` of "load earlier messages": a message id, or a 404 for anything else."""
    value = request.GET.get("before")
    if value is None:
        return None
    if not value.isdigit():
        raise Http404("not a message id")
    return int(value)


@login_required
@require_POST
def message_send(request: HttpRequest, pk: int) -> HttpResponse:
    thread = selectors.conversation_get_for_user(user=request.user, pk=pk)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.message_send(
                conversation=thread,
                sender=request.user,
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data["client_id"],
                upload=form.cleaned_data["attachment"],
            )
        except PermissionDenied:
            raise Http404 from None  # a therapist reading shared earlier messages only reads
        except ValidationError as error:
            form.add_error(None, error)
    if form.errors:
        context = _thread_context(request, thread, form=form)
        template = "messaging/thread.html" + ("#thread" if is_htmx(request) else "")
        return render(request, template, context, status=422)
    if is_htmx(request):
        return render(request, "messaging/thread.html#thread", _thread_context(request, thread))
    return redirect("conversation", pk=thread.pk)


@login_required
@require_safe
def attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """A file sent in a conversation, to the conversation's readers only, always as a download
    (never shown inline, never sniffed, never cached)."""
    item = selectors.attachment_get_for_user(
        user=request.user, conversation_pk=pk, pk=attachment_pk
    )
    name, data = services.attachment_content(item)
    response = HttpResponse(data, content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
