// A questionnaire step sent with errors: the summary at the top takes the focus (a screen
// reader reads it, the keyboard starts there), and each of its links moves the focus to the
// field it names, showing the field's question above it, even on a small screen.
const summary = document.querySelector("[data-error-summary]");
if (summary) {
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const field = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) return;
    event.preventDefault();
    const question = field.closest("fieldset") || document.querySelector(`label[for="${field.id}"]`) || field;
    question.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });
}
