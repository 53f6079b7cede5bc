// The console's callback queue: mark a request done without reloading the console (its
// chats stay connected), and refresh the list when the live count changes and now and then. Without JavaScript the forms
// post normally and the console reloads.
import { gettext, showError } from "./i18n.js";
import { liveList } from "./livelist.js";

const section = document.getElementById("callbacks");
const list = document.getElementById("callbacks-list");
const errors = document.getElementById("errors");
// The console's live snapshot says when the count of open requests changed (console.js).
const { load } = liveList({ section, list, event: "callbacks-changed" });

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
