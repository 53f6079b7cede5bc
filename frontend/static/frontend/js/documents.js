// Documents in the chat: sharing a file over HTTP (progress bar, cancel) and showing a
// `document` log entry as a download link. Shared by the citizen's room and the console.
// The server decides what a file is (by its content) and stores it; the entry then arrives
// like every other log entry (live, replayed, in the transcript).
import { gettext, interpolate } from "./i18n.js";
import { newClientId } from "./socket.js";

export function fileSize(bytes) {
  const lang = document.documentElement.lang || "de";
  const format = (value, unit) =>
    `${new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(value)} ${unit}`;
  if (bytes < 1024) return format(bytes, "B");
  if (bytes < 1024 * 1024) return format(bytes / 1024, "KB");
  return format(bytes / (1024 * 1024), "MB");
}

// The body of a `document` entry: a link that downloads the file (the server sends it as an
// attachment), with its name and size as text.
export function documentBody(frame, urlOf) {
  const doc = frame.document;
  if (!doc) return document.createTextNode(frame.body);
  const link = document.createElement("a");
  link.href = urlOf(doc.id);
  link.className = "document-link";
  link.setAttribute("download", "");
  link.textContent = interpolate(gettext("%(name)s (%(size)s)"), {
    name: doc.name,
    size: fileSize(doc.size),
  });
  const wrapper = document.createElement("span");
  wrapper.append(`${gettext("Shared a file:")} `, link);
  return wrapper;
}

// The file picker of one conversation. `root` holds the `.document-share` markup
// (templates: includes/document_share.html); `onShared(entry)` gets the stored log entry.
export class DocumentShare {
  constructor({ root, url, csrfToken, maxBytes, tooLarge, onShared }) {
    this.url = url;
    this.csrfToken = csrfToken;
    this.maxBytes = maxBytes;
    this.tooLarge = tooLarge;
    this.onShared = onShared || (() => {});
    this.input = root.querySelector("input[type=file]");
    this.progressBox = root.querySelector(".upload-progress");
    this.progress = root.querySelector("progress");
    this.cancelButton = root.querySelector(".upload-cancel");
    this.status = root.querySelector(".upload-status");
    this.error = root.querySelector(".upload-error");
    this.request = null;
    this.input.addEventListener("change", () => {
      const file = this.input.files[0];
      if (file) this.upload(file);
    });
    this.cancelButton.addEventListener("click", () => {
      if (this.request) this.request.abort();
    });
  }

  say(status, error = "") {
    this.status.textContent = status;
    this.error.textContent = error;
  }

  finish() {
    this.request = null;
    this.progressBox.hidden = true;
    this.input.disabled = false;
    this.input.value = "";
    this.input.focus();
  }

  upload(file) {
    if (this.request) return;
    if (file.size > this.maxBytes) {
      this.say("", this.tooLarge);
      this.input.value = "";
      return;
    }
    const request = new XMLHttpRequest();
    this.request = request;
    request.open("POST", this.url);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("X-CSRFToken", this.csrfToken);
    request.setRequestHeader("X-Document-Name", encodeURIComponent(file.name));
    request.setRequestHeader("X-Client-Id", newClientId());
    request.responseType = "json";
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        this.progress.value = Math.round((event.loaded / event.total) * 100);
      }
    });
    request.addEventListener("load", () => {
      const answer = request.response || {};
      this.finish();
      if (request.status >= 200 && request.status < 300 && answer.entry) {
        this.say(interpolate(gettext("“%(name)s” has been shared."), { name: answer.entry.body }));
        this.onShared(answer.entry);
      } else {
        this.say("", answer.message || gettext("The file could not be shared. Please try again."));
      }
    });
    request.addEventListener("error", () => {
      this.finish();
      this.say("", gettext("The connection was lost while uploading. Please try again."));
    });
    request.addEventListener("abort", () => {
      this.finish();
      this.say(gettext("Upload cancelled. Nothing was shared."));
    });
    this.progress.value = 0;
    this.progressBox.hidden = false;
    this.input.disabled = true;
    this.say(interpolate(gettext("Uploading “%(name)s” …"), { name: file.name }));
    this.cancelButton.focus();
    request.send(file);
  }
}
