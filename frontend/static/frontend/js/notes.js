// Hand-over notes in a console chat panel: the clerk's internal notes on the consultation,
// never shown to the citizen. Loaded when the panel opens, so after a transfer the next clerk
// reads what the previous one wrote.
import { gettext } from "./i18n.js";

export class HandoverNotes {
  constructor({ root, url, csrfToken }) {
    this.url = url;
    this.csrfToken = csrfToken;
    this.list = root.querySelector(".notes-list");
    this.empty = root.querySelector(".notes-empty");
    this.form = root.querySelector(".note-form");
    this.textarea = this.form.querySelector("textarea");
    this.error = root.querySelector(".note-error");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    this.load();
  }

  async request(options = {}) {
    const response = await fetch(this.url, {
      credentials: "same-origin",
      headers: { "X-CSRFToken": this.csrfToken, Accept: "application/json" },
      ...options,
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.message || gettext("The note could not be saved."));
    return answer;
  }

  async load() {
    try {
      this.show((await this.request()).notes);
    } catch (error) {
      this.error.textContent = error.message;
    }
  }

  async save() {
    const body = this.textarea.value.trim();
    if (!body) return;
    try {
      const answer = await this.request({ method: "POST", body: new URLSearchParams({ body }) });
      this.textarea.value = "";
      this.error.textContent = "";
      this.show(answer.notes);
    } catch (error) {
      this.error.textContent = error.message;
    }
  }

  show(notes) {
    const items = notes.map((note) => {
      const item = document.createElement("li");
      const meta = document.createElement("span");
      meta.className = "entry-meta";
      const time = new Date(note.created).toLocaleString(document.documentElement.lang, {
        dateStyle: "short",
        timeStyle: "short",
      });
      meta.textContent = `${note.author || gettext("Clerk")} · ${time}: `;
      const text = document.createElement("span");
      text.textContent = note.body; // text only
      item.append(meta, text);
      return item;
    });
    this.list.replaceChildren(...items);
    this.empty.hidden = items.length > 0;
  }
}
