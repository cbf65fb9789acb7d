// Enter sends the message; Shift+Enter starts a new line. Without this script, the button sends.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLTextAreaElement) || !field.matches("[data-enter-sends]")) return;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  if (field.value.trim()) field.form.requestSubmit();
});

// Live: when the other side writes or reads, refresh the list of messages (not the form being
// typed) through the same permission-checked page. Events carry ids, never content.
function refreshIfThisConversation(event) {
  const thread = document.getElementById("thread");
  if (!thread || String(event.detail.conversation) !== thread.dataset.conversation) return;
  window.htmx.ajax("GET", thread.dataset.refreshUrl, { target: "#message-list", swap: "outerHTML" });
}

document.addEventListener("app:message.new", refreshIfThisConversation);
document.addEventListener("app:message.read", refreshIfThisConversation);
