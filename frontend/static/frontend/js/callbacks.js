// The console's callback queue: mark a request done without reloading the console (its
// chats stay connected), and refresh the list when the live count changes and now and then. Without JavaScript the forms
// post normally and the console reloads.
import { gettext, showError } from "./i18n.js";

const REFRESH_MS = 30000;
const section = document.getElementById("callbacks");
const list = document.getElementById("callbacks-list");
const errors = document.getElementById("errors");

function busy() {
  // Never replace the list under someone who is typing a note or has focus in it.
  return (
    list.contains(document.activeElement) ||
    [...list.querySelectorAll("textarea")].some((area) => area.value.trim() !== "")
  );
}

async function load(request) {
  const response = await fetch(request);
  if (!response.ok) throw new Error(String(response.status));
  // The fragment is rendered and escaped by Django's templates on our own origin.
  list.innerHTML = await response.text();
}

list.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.callback-done");
  if (!form) return;
  event.preventDefault();
  try {
    await load(
      new Request(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      }),
    );
    document.getElementById("callbacks-heading").focus();
  } catch {
    showError(errors, gettext("The request could not be marked as done. Please try again."));
  }
});

function refresh() {
  if (!busy()) load(section.dataset.url).catch(() => {});
}

// The console's live snapshot says when the count of open requests changed (console.js).
document.addEventListener("callbacks-changed", refresh);
setInterval(refresh, REFRESH_MS);
