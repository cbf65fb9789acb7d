// Enter sends, Shift+Enter starts a new line, in any textarea marked data-enter-sends (the
// thread's composer, the room's live chat): one listener for the whole document, so a form
// that htmx swaps in keeps it. A blank text sends nothing. Without this script, the form's
// button sends.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLTextAreaElement) || !field.matches("[data-enter-sends]")) return;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  if (field.value.trim()) field.form?.requestSubmit();
});
