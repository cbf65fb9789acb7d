// The availability page: after htmx swaps a part of it, keep the keyboard where it makes sense.
// A refused form puts focus on its first wrong field (or its error); a removed item's button
// is gone, so focus goes to the part's heading rather than to the top of the page.

const handled = new WeakSet();

document.body.addEventListener("htmx:afterSettle", (event) => {
  const { requestConfig, xhr } = event.detail;
  const source = requestConfig?.elt;
  const headingId = source?.dataset?.partHeading;
  if (!headingId || !xhr || handled.has(xhr)) return;
  handled.add(xhr);
  const section = document.getElementById(headingId)?.closest("section");
  if (!section) return;
  if (xhr.status === 422) {
    const wrong = section.querySelector(
      "input.is-invalid, select.is-invalid, textarea.is-invalid, .alert-danger",
    );
    if (wrong) {
      if (!wrong.matches("input, select, textarea")) wrong.tabIndex = -1;
      wrong.focus();
      return;
    }
  }
  if (!document.activeElement || document.activeElement === document.body) {
    document.getElementById(headingId).focus();
  }
});
