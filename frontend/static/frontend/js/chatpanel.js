// One conversation in the clerk console: chat, video, outcome, transfer.
import { VideoCall } from "./call.js";
import { ChatSession, wireCompose } from "./chat.js";
import { DocumentShare } from "./documents.js";
import { HandoverNotes } from "./notes.js";
import { probePage, showConnection } from "./connection.js";
import { errorText, gettext, showError } from "./i18n.js";
import { RecordingControls } from "./recording.js";
import { showRequestDetails } from "./request.js";
import { SnippetPicker } from "./snippets.js";

const REFUSED = new Set(["not_yours", "logged_out"]);

export class ChatPanel {
  constructor({ item, template, basePath, documents, snippets, errors, onClosed }) {
    this.item = item;
    const element = template.content.cloneNode(true).querySelector(".chat-panel");
    this.element = element;
    const id = `chat-${item.id}`;
    element.id = id;
    element.setAttribute("aria-labelledby", `${id}-title`);
    const title = element.querySelector(".chat-title");
    title.id = `${id}-title`;
    title.textContent = `${item.topic} (#${item.id})`;
    showRequestDetails(element.querySelector(".request-details"), item);
    const log = element.querySelector(".log");
    log.setAttribute("aria-labelledby", title.id);
    for (const control of element.querySelectorAll("[data-field]")) {
      control.id = `${id}-${control.dataset.field}`;
      control.closest("form, p, div").querySelector("label").htmlFor = control.id;
    }
    const compose = element.querySelector(".compose");
    const documentArea = element.querySelector(".document-area");
    // documents.url: the console's address of its consultations (/console/consultations/)
    const documentsUrl = `${documents.url}${item.id}/documents/`;
    const hint = documentArea.querySelector(".document-hint");
    hint.id = `${id}-document-hint`;
    documentArea.querySelector("input[type=file]").setAttribute("aria-describedby", hint.id);
    this.textarea = compose.querySelector("textarea");
    const stateLine = element.querySelector(".chat-state");
    const presenceLine = element.querySelector(".citizen-presence");
    let citizenLost = false;
    this.call = null;
    this.recording = null;
    this.state = item.state;
    const invite = element.querySelector(".video-invite");
    const setState = (state) => {
      this.state = state;
      if (state !== "active") presenceLine.textContent = "";
      if (this.call && state === "active") this.call.join();
      if (this.call && state !== "active") this.call.hangUp({ notify: false });
      // A written question (channel "async") is answered in writing: no video invitation.
      invite.hidden = state !== "active" || this.call !== null || item.channel === "async";
      compose.hidden = state !== "active";
      documentArea.hidden = state !== "active";
      element.querySelector(".transfer").hidden = state !== "active";
      // "waiting": requeued or transferred, no longer this clerk's (the server closes the socket)
      stateLine.textContent =
        state === "active"
          ? gettext("Conversation in progress.")
          : state === "waiting"
            ? gettext("The conversation went back to the queue.")
            : gettext("The conversation has ended. Please record the outcome.");
    };
    this.session = new ChatSession({
      path: `${basePath}${item.id}/`,
      log,
      typing: element.querySelector(".typing"),
      labels: { self: "clerk", you: gettext("You"), citizen: gettext("Citizen"), clerk: gettext("You") },
      state: item.state,
      documentUrl: (documentId) => `${documentsUrl}${documentId}/`,
      // The console's status line speaks for the queue socket; a refused chat says why here.
      onStatus: (status) => {
        if (REFUSED.has(status)) showConnection(status, { alert: errors, audience: "staff" });
      },
      // The console page answers: logged out (a redirect to the login), else not this clerk's.
      probe: probePage(window.location.pathname, { refusedMeans: "not_yours" }),
      onState: setState, // the state each log entry and `ready` carry
      onEntry: (frame) => {
        if (frame.kind === "video") {
          this.startVideo(); // a change of channel, not of state
          setState(this.state);
        }
      },
      onFrame: (frame) => {
        if (frame.type === "presence") {
          // Said only while it matters: the citizen dropped, or came back after a drop.
          if (this.state !== "active") return;
          if (!frame.connected) {
            citizenLost = true;
            presenceLine.dataset.state = "lost";
            presenceLine.textContent = gettext(
              "Connection to the citizen lost. They can come back through their link; if not, end with the outcome “aborted”.",
            );
          } else if (citizenLost) {
            citizenLost = false;
            presenceLine.dataset.state = "back";
            presenceLine.textContent = gettext("The citizen is connected again.");
          }
        } else if (frame.type === "rtc_invite_answer") {
          stateLine.textContent = gettext("The citizen prefers to continue by chat.");
        } else if (this.recording && this.recording.handle(frame)) {
          // the recording indicator
        } else if (this.call && this.call.handle(frame)) {
          if (frame.type === "rtc_config" && this.state === "active") this.call.join();
        } else if (frame.type === "closed") onClosed(item.id);
        else if (frame.type === "error") showError(errors, errorText(frame));
      },
    });
    if (item.channel === "video") this.startVideo();
    invite.addEventListener("click", () => {
      if (this.session.sendFrame({ type: "rtc_invite" })) {
        stateLine.textContent = gettext("The citizen has been asked to continue by video.");
      }
    });
    // before wireCompose: Enter on an open snippet list inserts instead of sending
    new SnippetPicker({ compose, textarea: this.textarea, snippets, idPrefix: id });
    wireCompose(compose, this.textarea, this.session);
    new HandoverNotes({
      root: element.querySelector(".notes"),
      url: `${documents.url}${item.id}/notes/`,
      csrfToken: documents.csrf,
    });
    new DocumentShare({
      root: documentArea,
      url: documentsUrl,
      csrfToken: documents.csrf,
      maxBytes: documents.maxBytes,
      tooLarge: documents.tooLarge,
      onShared: (entry) => this.session.handle({ type: "message", ...entry }),
    });
    this.submit(".end-form", (form) => ({ type: "end", outcome: form.querySelector("select").value }));
    this.submit(".transfer-topic", (form) => ({
      type: "transfer_topic",
      topic: form.querySelector("select").value,
    }));
    this.submit(".transfer-clerk", (form) => {
      const value = Number(form.querySelector("select").value);
      return value ? { type: "transfer_clerk", clerk: value } : null;
    });
  }

  startVideo() {
    if (this.call) return;
    this.call = new VideoCall({
      root: this.element.querySelector(".call"),
      role: "clerk",
      send: (frame) => this.session.sendFrame(frame),
    });
    this.recording = new RecordingControls({
      root: this.element.querySelector(".call"),
      role: "clerk",
      send: (frame) => this.session.sendFrame(frame),
    });
  }

  submit(selector, frameOf) {
    const form = this.element.querySelector(selector);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const frame = frameOf(form);
      if (frame) this.session.sendFrame(frame);
    });
  }

  setColleagues(colleagues) {
    const select = this.element.querySelector(".transfer-clerk select");
    const choices = colleagues.filter((c) => c.topics.includes(this.item.topic_slug));
    const options = choices.map((c) => new Option(c.name, String(c.id)));
    if (options.length === 0) options.push(new Option(gettext("Nobody available"), ""));
    const previous = select.value;
    select.replaceChildren(...options);
    if (choices.some((c) => String(c.id) === previous)) select.value = previous;
  }

  close() {
    if (this.call) this.call.hangUp({ notify: false });
    this.session.close();
    this.element.remove();
  }
}
