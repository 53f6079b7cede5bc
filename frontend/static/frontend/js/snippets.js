// Text snippets in the reply box of a console chat panel. Typing "/" and a few letters at the
// start of the reply box opens a list of the snippets whose title matches; the arrow keys move,
// Enter puts the snippet's text into the reply box (replacing the "/..."), Escape closes. The
// button "Insert snippet" opens the same list (focus moves to it) and inserts at the cursor.
// The list is the console page's (only the clerk's topics' snippets and their own); nothing is
// sent: the clerk reads, edits and sends the text themselves.
import { gettext, interpolate, ngettext } from "./i18n.js";

const SLASH = /^\/([^\n]*)$/;

export class SnippetPicker {
  constructor({ compose, textarea, snippets, idPrefix }) {
    this.snippets = snippets || [];
    this.textarea = textarea;
    this.list = compose.querySelector(".snippet-list");
    this.announcer = compose.querySelector(".snippet-announcer");
    this.button = compose.querySelector(".snippet-open");
    this.list.id = `${idPrefix}-snippets`;
    this.list.setAttribute("aria-label", gettext("Text snippets"));
    this.idPrefix = idPrefix;
    this.shown = [];
    this.active = -1;
    this.mode = null; // "slash": typed in the reply box; "button": the list has the focus
    if (!this.snippets.length) {
      this.button.hidden = true;
      compose.querySelector(".snippet-hint").hidden = true;
      return;
    }
    textarea.setAttribute("aria-controls", this.list.id);
    this.button.setAttribute("aria-controls", this.list.id);
    this.button.setAttribute("aria-expanded", "false");
    // Registered before the reply box's own Enter-to-send (chat.js wireCompose), so Enter on
    // an open list inserts and never sends.
    textarea.addEventListener("keydown", (event) => {
      if (this.mode === "slash") this.onKey(event);
    });
    textarea.addEventListener("input", () => this.onInput());
    textarea.addEventListener("blur", () => {
      if (this.mode === "slash") this.close();
    });
    this.list.addEventListener("keydown", (event) => {
      if (this.mode === "button") this.onKey(event);
    });
    this.list.addEventListener("focusout", (event) => {
      if (this.mode === "button" && !this.list.contains(event.relatedTarget)) this.close();
    });
    // mousedown: choose before the reply box loses its focus (which closes the list)
    this.list.addEventListener("mousedown", (event) => {
      const option = event.target.closest("[role=option]");
      if (!option) return;
      event.preventDefault();
      this.choose(Number(option.dataset.index));
    });
    this.button.addEventListener("click", () => {
      if (this.mode === "button") {
        this.close();
        return;
      }
      this.open("button", "");
      this.list.tabIndex = 0;
      this.list.focus();
    });
  }

  onInput() {
    const match = SLASH.exec(this.textarea.value);
    if (match) this.open("slash", match[1]);
    else if (this.mode === "slash") this.close();
  }

  matching(query) {
    const words = query.toLowerCase().trim().split(/\s+/).filter(Boolean);
    return this.snippets.filter((snippet) => {
      const haystack = `${snippet.title} ${snippet.source}`.toLowerCase();
      return words.every((word) => haystack.includes(word));
    });
  }

  open(mode, query) {
    this.mode = mode;
    this.shown = this.matching(query);
    this.list.replaceChildren(
      ...this.shown.map((snippet, index) => {
        const option = document.createElement("li");
        option.id = `${this.idPrefix}-snippet-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.index = String(index);
        const title = document.createElement("span");
        title.className = "snippet-title";
        title.textContent = snippet.title;
        const source = document.createElement("span");
        source.className = "snippet-source";
        source.textContent = ` (${snippet.source})`;
        option.append(title, source);
        return option;
      }),
    );
    this.list.hidden = this.shown.length === 0;
    this.button.setAttribute("aria-expanded", String(!this.list.hidden));
    this.announcer.textContent = this.shown.length
      ? interpolate(
          ngettext(
            "%(count)s snippet; arrow keys choose, Enter inserts, Escape closes.",
            "%(count)s snippets; arrow keys choose, Enter inserts, Escape closes.",
            this.shown.length,
          ),
          { count: this.shown.length },
        )
      : gettext("No snippet matches.");
    this.move(this.shown.length ? 0 : -1);
  }

  close() {
    const wasButton = this.mode === "button";
    this.mode = null;
    this.shown = [];
    this.list.hidden = true;
    this.list.replaceChildren();
    this.list.removeAttribute("tabindex");
    this.list.removeAttribute("aria-activedescendant");
    this.textarea.removeAttribute("aria-activedescendant");
    this.button.setAttribute("aria-expanded", "false");
    this.announcer.textContent = "";
    if (wasButton) this.textarea.focus();
  }

  move(index) {
    this.active = index;
    const owner = this.mode === "button" ? this.list : this.textarea;
    for (const option of this.list.children) {
      const on = Number(option.dataset.index) === index;
      option.setAttribute("aria-selected", String(on));
      option.classList.toggle("active", on);
      if (on) {
        owner.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    }
    if (index < 0) owner.removeAttribute("aria-activedescendant");
  }

  onKey(event) {
    const count = this.shown.length;
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopImmediatePropagation();
      this.close();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && count) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.move((this.active + step + count) % count);
    } else if (event.key === "Enter" && !event.shiftKey && count && this.active >= 0) {
      event.preventDefault();
      event.stopImmediatePropagation();
      this.choose(this.active);
    }
  }

  choose(index) {
    const snippet = this.shown[index];
    if (!snippet) return;
    const textarea = this.textarea;
    if (this.mode === "slash") {
      textarea.value = snippet.text;
    } else {
      const { selectionStart: start, selectionEnd: end, value } = textarea;
      textarea.value = value.slice(0, start) + snippet.text + value.slice(end);
    }
    this.close();
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    this.announcer.textContent = interpolate(
      gettext("Snippet “%(title)s” inserted; check it and send it yourself."),
      { title: snippet.title },
    );
  }
}
