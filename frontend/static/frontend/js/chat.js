// One consultation's chat: ordered log with sequence numbers, replay on reconnect,
// idempotent resend of unconfirmed messages, typing notices. Shared by citizen and clerk.
// The consultation's state is the server's: every log entry and `ready` carry it (`state`),
// so no page works it out from the kind of an entry.
import { documentBody } from "./documents.js";
import { gettext, interpolate } from "./i18n.js";
import { LiveSocket, newClientId } from "./socket.js";

const TYPING_IDLE_MS = 3000;
// The channel layer delivers at most once: a dropped entry is noticed at the next one (its
// `seq` leaves a gap), but a dropped last entry has no next one. A conversation that has been
// silent this long asks the server for anything it missed.
const CATCH_UP_MS = 20000;

export class ChatSession {
  constructor({
    path,
    log,
    typing,
    labels,
    state,
    onEntry,
    onState,
    onFrame,
    onStatus,
    documentUrl,
    probe,
  }) {
    this.log = log;
    this.documentUrl = documentUrl; // id -> the download address of a shared file
    this.typingEl = typing;
    this.labels = labels; // { citizen, clerk } display names
    this.state = state; // as the page was rendered; then as the frames say
    this.onEntry = onEntry || (() => {});
    this.onState = onState || (() => {});
    this.onFrame = onFrame || (() => {});
    this.lastSeq = 0;
    this.ahead = 0; // the highest live entry passed over while a replay was under way
    this.ready = false;
    this.pending = new Map(); // client_id -> { body, element }
    this.typingTimer = null;
    this.typingSent = false;
    this.lastHeard = Date.now();
    window.setInterval(() => this.catchUp(), CATCH_UP_MS / 2);
    this.socket = new LiveSocket(path, {
      onOpen: () => this.resume(),
      onFrame: (frame) => this.handle(frame),
      onStatus: (status) => {
        if (status !== "open") this.ready = false;
        if (onStatus) onStatus(status);
      },
      probe, // why the server refuses the socket (connection.js)
    });
  }

  resume() {
    this.ready = false;
    this.socket.send({ type: "resume", last_seq: this.lastSeq });
  }

  catchUp() {
    if (this.ready && this.state === "active" && Date.now() - this.lastHeard >= CATCH_UP_MS) {
      this.lastHeard = Date.now();
      this.resume();
    }
  }

  handle(frame) {
    this.lastHeard = Date.now();
    if (frame.type === "message") {
      if (frame.seq <= this.lastSeq) return; // already shown (replay overlap)
      if (frame.seq > this.lastSeq + 1) {
        // Entries between are missing: after `ready` a live event was lost, so fetch the gap;
        // before it, the replay under way brings them in order, and `ready` checks that it
        // reached this one (else a last entry passed over here would stay missing).
        if (this.ready) this.resume();
        else this.ahead = Math.max(this.ahead, frame.seq);
        return;
      }
      this.lastSeq = frame.seq;
      this.render(frame);
      this.onEntry(frame);
      if (frame.state !== this.state) this.setState(frame.state);
    } else if (frame.type === "ready") {
      if (this.ahead > this.lastSeq) {
        // The replay was read before that live entry was written: fetch the rest.
        this.ahead = 0;
        this.resume();
        return;
      }
      this.ahead = 0;
      this.ready = true;
      for (const [clientId, item] of this.pending) {
        this.socket.send({ type: "message", client_id: clientId, body: item.body });
      }
      this.setState(frame.state); // also unchanged: after a reconnect the page catches up
    } else if (frame.type === "typing") {
      this.typingEl.textContent = frame.active
        ? interpolate(gettext("%(name)s is typing …"), { name: this.labels[frame.sender] })
        : "";
    } else {
      this.onFrame(frame);
    }
  }

  setState(state) {
    const previous = this.state;
    this.state = state;
    this.onState(state, previous);
  }

  send(body) {
    const clientId = newClientId();
    const element = this.entryElement({ sender: this.labels.self, body, pending: true });
    this.log.append(element);
    this.pending.set(clientId, { body, element });
    if (this.ready) this.socket.send({ type: "message", client_id: clientId, body });
    this.setTyping(false);
  }

  sendFrame(frame) {
    return this.socket.send(frame);
  }

  noteTyping() {
    if (!this.typingSent) this.setTyping(true);
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.setTyping(false), TYPING_IDLE_MS);
  }

  setTyping(active) {
    window.clearTimeout(this.typingTimer);
    if (this.typingSent === active) return;
    this.typingSent = active;
    if (this.ready) this.socket.send({ type: "typing", active });
  }

  render(frame) {
    const pending = frame.client_id && this.pending.get(frame.client_id);
    if (pending) {
      pending.element.remove();
      this.pending.delete(frame.client_id);
    }
    if (frame.sender !== this.labels.self) this.typingEl.textContent = "";
    this.log.append(this.entryElement(frame));
    this.log.scrollTop = this.log.scrollHeight;
  }

  entryElement(frame) {
    const item = document.createElement("div");
    // A party's own entry; a written question (kind "question") is the citizen's text.
    const spoken = ["text", "document", "question"].includes(frame.kind);
    item.className = `entry entry-${spoken || frame.pending ? frame.sender : "system"}`;
    if (frame.kind === "document") item.classList.add("entry-document");
    if (frame.seq) item.dataset.seq = frame.seq;
    const meta = document.createElement("p");
    meta.className = "entry-meta";
    const body = document.createElement("p");
    body.className = "entry-body";
    if (frame.pending) {
      meta.textContent = `${this.labels.you} · ${gettext("sending …")}`;
      body.textContent = frame.body;
      item.classList.add("entry-pending");
      item.dataset.sender = this.labels.self;
    } else if (spoken) {
      const time = document.createElement("time");
      time.dateTime = frame.created;
      time.textContent = new Date(frame.created).toLocaleTimeString(document.documentElement.lang, {
        hour: "2-digit",
        minute: "2-digit",
      });
      const who = frame.sender === this.labels.self ? this.labels.you : this.labels[frame.sender];
      meta.append(`${who} · `, time);
      if (frame.kind === "document") body.append(documentBody(frame, this.documentUrl));
      else body.textContent = frame.body; // text only: markup in a message is shown, never run
      item.dataset.sender = frame.sender;
    } else {
      body.textContent = systemText(frame, this.labels);
    }
    if (meta.textContent) item.append(meta);
    item.append(body);
    return item;
  }

  close() {
    this.socket.close();
  }
}

function systemText(frame, labels) {
  // The clerk's name as the city allows (CLERK_DISPLAY_NAME); empty: "Sachbearbeitung".
  if (frame.kind === "accepted") {
    if (labels.self === "citizen") {
      labels.clerkName = frame.body;
      labels.clerk = frame.body || gettext("Clerk");
    }
    return frame.body
      ? interpolate(gettext("%(name)s has joined the conversation."), { name: frame.body })
      : gettext("The clerk has joined the conversation.");
  }
  if (frame.kind === "ended") {
    if (frame.body === "citizen") return gettext("The citizen has ended the conversation.");
    return labels.self === "citizen" && labels.clerkName
      ? interpolate(gettext("%(name)s has ended the conversation."), { name: labels.clerkName })
      : gettext("The clerk has ended the conversation.");
  }
  if (frame.kind === "abandoned") return gettext("The citizen has left the queue.");
  if (frame.kind === "video") return gettext("The conversation continues as a video call.");
  if (frame.kind === "relay_moved") {
    return gettext("The server relaying the video call failed. The call reconnects through another server.");
  }
  if (frame.kind === "requeued") {
    return gettext("The connection to the clerk was lost. The conversation is back at the head of the queue.");
  }
  if (frame.kind === "transferred") {
    if (!frame.body) return gettext("The conversation was transferred to a colleague.");
    return interpolate(gettext("The conversation was transferred to %(target)s."), {
      target: frame.body,
    });
  }
  return "";
}

export function wireCompose(form, textarea, session) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textarea.value;
    if (!text.trim()) return;
    session.send(text);
    textarea.value = "";
    textarea.focus();
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  textarea.addEventListener("input", () => session.noteTyping());
}
