"""The message pages: the list of conversations, a thread (with "load earlier" and live
refreshes), sending, file downloads, and the navigation's unread badge. Thin: the selectors
say who may read what (None is a 404 here), the services write, the presenters put it in
words; htmx gets a partial of the same page."""

import re
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import UserRequest
from accounts.models import User
from accounts.ratelimits import rate_limited, sends_files
from core.htmx import is_htmx
from messaging import presenters, selectors, services, voice
from messaging.forms import MessageForm, VoiceMessageForm
from messaging.models import Attachment, Conversation

# A thread where the reader may write records voice messages: the microphone, for this site
# only (every other page keeps it off: core.middleware's DEFAULT_PERMISSIONS_POLICY).
VOICE_PERMISSIONS_POLICY = (
    "camera=(), microphone=(self), display-capture=(), geolocation=(), payment=(), usb=()"
)

# A message id as "load earlier messages" sends it: ASCII digits only ('²' is a digit to
# str.isdigit), short enough for a bigint.
_MESSAGE_ID = re.compile(r"[0-9]{1,18}")


def _conversation_or_404(
    user: User, pk: int, *, names: bool = True, for_writing: bool = False
) -> Conversation:
    conversation = selectors.conversation_get_for_user(
        user=user, pk=pk, names=names, for_writing=for_writing
    )
    if conversation is None:
        raise Http404("no such conversation for this user")
    return conversation


@login_required
@require_safe
def conversation_list(request: UserRequest) -> HttpResponse:
    user = request.user
    conversations = selectors.conversation_list_for_user(user=user)
    if is_htmx(request):
        # A live refresh of the list (never a redirect: it would swap a thread into the list).
        return render(
            request, "messaging/list.html#conversation-list", _list_context(user, conversations)
        )
    if user.is_patient and len(conversations) == 1:
        return redirect("conversation", pk=conversations[0].pk)
    return render(request, "messaging/list.html", _list_context(user, conversations))


def _list_context(user: User, conversations: list[Conversation]) -> dict:
    return {
        "rows": [
            (item, presenters.conversation_name(conversation=item, reader=user))
            for item in conversations
        ]
    }


@login_required
@require_safe
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The navigation's unread count alone, fetched again when a live event says it changed."""
    return render(request, "base.html#unread-badge")


def _thread_context(
    request: UserRequest,
    conversation: Conversation,
    form: MessageForm | None = None,
    before: int | None = None,
) -> dict:
    user = request.user
    try:
        page = selectors.thread_messages(conversation=conversation, before=before)
    except selectors.NotInConversation:
        raise Http404("not a message of this conversation") from None
    return {
        "conversation": conversation,
        "thread_items": presenters.thread_items(
            conversation=conversation, messages=page.messages, reader=user
        ),
        "page": page,
        "before": before,
        "form": form or MessageForm(),
        "can_write": selectors.conversation_can_write(conversation=conversation, user=user),
        "other_name": presenters.conversation_name(conversation=conversation, reader=user),
        "is_party": selectors.conversation_is_party(conversation=conversation, user=user),
        "voice_max_seconds": settings.VOICE_MESSAGE_MAX_SECONDS,
        "voice_max_length": voice.minutes_seconds(settings.VOICE_MESSAGE_MAX_SECONDS),
    }


@login_required
@require_safe
def conversation(request: UserRequest, pk: int) -> HttpResponse:
    user = request.user
    after = _message_id(request, "after")
    if after is not None:
        return _messages_after(request, pk, after)
    thread = _conversation_or_404(user, pk)
    before = parse_before(request)
    context = _thread_context(request, thread, before=before)
    if before is None:
        services.messages_mark_read(conversation=thread, reader=user)
    template = "messaging/thread.html"
    if is_htmx(request):
        # Earlier messages go above the list; a live refresh is the list alone, never the form
        # being typed.
        template += "#earlier-messages" if before is not None else "#message-list"
    response = render(request, template, context)
    if context["can_write"]:
        response["Permissions-Policy"] = VOICE_PERMISSIONS_POLICY
    return response


def _messages_after(request: UserRequest, pk: int, after: int) -> HttpResponse:
    """``?after=<id>``: the messages after that one alone (what the page's socket said arrived
    or was seen), marked read: not the whole list again."""
    user = request.user
    thread = _conversation_or_404(user, pk, names=False)
    messages = selectors.thread_messages_after(conversation=thread, after=after)
    services.messages_mark_read(conversation=thread, reader=user)
    items = presenters.thread_items(conversation=thread, messages=messages, reader=user)
    context = {"conversation": thread, "thread_items": items}
    return render(request, "messaging/thread.html#new-messages", context)


def parse_before(request: HttpRequest) -> int | None:
    """The ``before`` of "load earlier messages": a message id, or a 404 for anything else."""
    return _message_id(request, "before")


def _message_id(request: HttpRequest, name: str) -> int | None:
    """A message id given in the query (``before``, ``after``), or a 404 for anything else."""
    value = request.GET.get(name)
    if value is None:
        return None
    if not _MESSAGE_ID.fullmatch(value):
        raise Http404("not a message id")
    return int(value)


@login_required
@require_POST
@rate_limited("message")
@rate_limited("upload", when=sends_files)
def message_send(request: UserRequest, pk: int) -> HttpResponse:
    """Keep the message. htmx gets the message alone (added at the end of the list) and the
    form's next idempotency key (not the whole form again), or the form with its errors (422,
    swapped in place of the form); without JavaScript, a redirect to the thread, or the page
    with the form's errors."""
    user = request.user
    # Sending shows nothing of the thread but the sender's own message: not a read.
    thread = _conversation_or_404(user, pk, names=False, for_writing=True)
    form = MessageForm(request.POST, request.FILES)
    message = None
    if form.is_valid():
        try:
            message = services.message_send(
                conversation=thread,
                sender=user,
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data["client_id"],
                upload=form.cleaned_data["attachment"],
            )
        except PermissionDenied:
            raise Http404 from None  # a therapist reading shared earlier messages only reads
        except ValidationError as error:
            form.add_error(None, error)
    if not is_htmx(request):
        if form.errors:
            thread = _conversation_or_404(user, pk)  # the whole page: names too
            page = _thread_context(request, thread, form=form)
            return render(request, "messaging/thread.html", page, status=422)
        return redirect("conversation", pk=thread.pk)
    context: dict = {"conversation": thread, "can_write": True}  # a party, or it was a 404
    if form.errors or message is None:
        # The form again, with what was typed and why it was refused (a closed conversation
        # included), in place of the form.
        response = render(
            request, "messaging/thread.html#message-form", {**context, "form": form}, status=422
        )
        response["HX-Retarget"] = "#message-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    items = presenters.thread_items(conversation=thread, messages=[message], reader=user)
    context |= {"thread_items": items, "next_client_id": uuid.uuid4()}
    return render(request, "messaging/thread.html#message-sent", context)


@login_required
@require_safe
def attachment(request: UserRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """A file sent in a conversation, to the conversation's readers only, always as a download
    (never shown inline, never sniffed, never cached)."""
    user = request.user
    item = selectors.attachment_get_for_user(user=user, conversation_pk=pk, pk=attachment_pk)
    if item is None:
        raise Http404("no such file for this user")
    name, data = selectors.attachment_content(item)
    response = HttpResponse(data, content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Voice messages ------------------------------------------------------------------------------


def _voice_or_404(user: User, pk: int, attachment_pk: int) -> Attachment:
    item = selectors.voice_get_for_user(user=user, conversation_pk=pk, pk=attachment_pk)
    if item is None:
        raise Http404("no such voice message for this user")
    return item


def _voice_refused(request: UserRequest, error: ValidationError) -> HttpResponse:
    """Why a voice message was refused or not taken back (422), for the recorder to say."""
    reasons = [message for messages in error.message_dict.values() for message in messages]
    return render(request, "messaging/thread.html#voice-refused", {"reasons": reasons}, status=422)


@login_required
@require_POST
@rate_limited("message")
@rate_limited("upload")
def voice_send(request: UserRequest, pk: int) -> HttpResponse:
    """A recording from the thread's recorder: the message alone, as a sent message's answer
    (the recorder adds it to the list), or why it was refused (422; nothing kept)."""
    user = request.user
    thread = _conversation_or_404(user, pk, names=False, for_writing=True)
    form = VoiceMessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _voice_refused(request, ValidationError(form.errors))
    try:
        message = services.voice_message_send(
            conversation=thread,
            sender=user,
            upload=form.cleaned_data["voice"],
            client_id=form.cleaned_data["client_id"],
        )
    except PermissionDenied:
        raise Http404 from None  # a therapist reading shared earlier messages only reads
    except ValidationError as error:
        return _voice_refused(request, error)
    items = presenters.thread_items(conversation=thread, messages=[message], reader=user)
    context = {"conversation": thread, "thread_items": items}
    return render(request, "messaging/thread.html#new-messages", context)


# "bytes=0-", "bytes=100-199", "bytes=-500": one range, what a media element asks for.
_RANGE = re.compile(r"bytes=([0-9]{0,15})-([0-9]{0,15})")


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single-range ``Range`` header, or None when it asks for
    nothing this file has (416). Anything else than one byte range is ignored by the caller."""
    match = _RANGE.fullmatch(header.strip())
    assert match is not None
    first, last = match.groups()
    if not first:
        if not last or int(last) == 0:
            return None
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


@login_required
@require_safe
def voice_file(request: UserRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """A voice message's recording, decrypted, to the conversation's readers only, played in
    the page (inline, its real type, never cached), with byte ranges for seeking."""
    item = _voice_or_404(request.user, pk, attachment_pk)
    _, data = selectors.attachment_content(item)
    header = request.headers.get("Range", "")
    span = (0, len(data) - 1)
    status = 200
    if header and _RANGE.fullmatch(header.strip()):
        found = _byte_range(header, len(data))
        if found is None:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{len(data)}"
            return response
        span, status = found, 206
    response = HttpResponse(
        data[span[0] : span[1] + 1], content_type=item.content_type, status=status
    )
    if status == 206:
        response["Content-Range"] = f"bytes {span[0]}-{span[1]}/{len(data)}"
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def voice_played(request: UserRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """The recipient started playing a voice message (its sender sees "Played")."""
    user = request.user
    item = _voice_or_404(user, pk, attachment_pk)
    thread = _conversation_or_404(user, pk, names=False, for_writing=True)
    services.voice_message_mark_played(conversation=thread, attachment=item, listener=user)
    return HttpResponse(status=204)


@login_required
@require_POST
def voice_delete(request: UserRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """The patient takes back their voice message: nothing in its place (htmx removes it), or
    why not (422)."""
    user = request.user
    item = _voice_or_404(user, pk, attachment_pk)
    thread = _conversation_or_404(user, pk, names=False, for_writing=True)
    try:
        services.voice_message_delete(conversation=thread, attachment=item, patient=user)
    except PermissionDenied:
        raise Http404("not a voice message this user may take back") from None
    except ValidationError as error:
        response = _voice_refused(request, error)
        response["HX-Retarget"] = f"#voice-delete-error-{item.pk}"
        response["HX-Reswap"] = "innerHTML"
        return response
    if not is_htmx(request):
        return redirect("conversation", pk=thread.pk)
    return HttpResponse("")
