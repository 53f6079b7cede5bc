// Asks once before a form does something that cannot be undone: a modal <dialog> with a
// "yes" and a "no" button (the "no" has the focus, Escape means no); the focus goes back to
// the form's button when the dialog closes without "yes". Without scripts the form posts.
export function confirmBeforeSubmit(form, dialog) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (dialog.open) return;
    const before = document.activeElement;
    dialog.onclose = () => {
      if (dialog.returnValue === "yes") form.submit();
      else if (before) before.focus();
    };
    dialog.returnValue = "";
    dialog.showModal();
    dialog.querySelector("[data-confirm='no']").focus(); // not autofocus: refused in a frame
  });
  dialog.querySelector("[data-confirm='yes']").addEventListener("click", () => dialog.close("yes"));
  dialog.querySelector("[data-confirm='no']").addEventListener("click", () => dialog.close("no"));
}
