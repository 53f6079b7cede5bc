// The clerk console: live queue of the clerk's topics, status switch, one panel per chat.
import { ChatSession, wireCompose } from "./chat.js";
import { errorText, gettext, interpolate, showError } from "./i18n.js";
import { LiveSocket } from "./socket.js";

const config = JSON.parse(document.getElementById("console-config").textContent);
const $ = (id) => document.getElementById(id);
const errors = $("errors");
const queueList = $("queue");
const chats = $("chats");
const panels = new Map(); // consultation id -> { element, session }
let lastWaiting = [];
let focusOnOpen = null; // the consultation just accepted: its message box gets focus

function since(isoDate) {
  const minutes = Math.max(0, Math.floor((Date.now() - new Date(isoDate)) / 60000));
  return minutes < 1
    ? gettext("waiting for less than a minute")
    : interpolate(gettext("waiting for %(minutes)s min."), { minutes });
}

function renderQueue(waiting) {
  lastWaiting = waiting;
  const items = waiting.map((item) => {
    const li = document.createElement("li");
    li.className = "queue-item";
    const label = document.createElement("span");
    label.id = `queue-item-${item.id}`;
    label.textContent = `${item.topic} (#${item.id}) – ${since(item.created)}`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = gettext("Accept");
    button.setAttribute("aria-describedby", label.id);
    button.addEventListener("click", () => queue.send({ type: "accept", consultation: item.id }));
    li.append(label, button);
    return li;
  });
  queueList.replaceChildren(...items);
  $("queue-summary").textContent =
    waiting.length === 0
      ? gettext("Nobody is waiting.")
      : interpolate(gettext("%(count)s waiting."), { count: waiting.length });
}

function openPanel(item) {
  if (panels.has(item.id)) return;
  const fragment = $("chat-panel").content.cloneNode(true);
  const element = fragment.querySelector(".chat-panel");
  element.id = `chat-${item.id}`;
  element.setAttribute("aria-labelledby", `chat-${item.id}-title`);
  const title = element.querySelector(".chat-title");
  title.id = `chat-${item.id}-title`;
  title.textContent = `${item.topic} (#${item.id})`;
  const log = element.querySelector(".log");
  log.setAttribute("aria-labelledby", title.id);
  const compose = element.querySelector(".compose");
  const textarea = compose.querySelector("textarea");
  textarea.id = `chat-${item.id}-message`;
  compose.querySelector("label").htmlFor = textarea.id;
  const endForm = element.querySelector(".end-form");
  const outcome = endForm.querySelector("select");
  outcome.id = `chat-${item.id}-outcome`;
  endForm.querySelector("label").htmlFor = outcome.id;
  const stateLine = element.querySelector(".chat-state");

  const setState = (state) => {
    compose.hidden = state !== "active";
    stateLine.textContent =
      state === "active" ? gettext("Conversation in progress.") : gettext("The conversation has ended. Please record the outcome.");
  };
  const session = new ChatSession({
    path: `${config.chatWs}${item.id}/`,
    log,
    typing: element.querySelector(".typing"),
    labels: { self: "clerk", you: gettext("You"), citizen: gettext("Citizen"), clerk: gettext("You") },
    onReady: (frame) => setState(frame.state),
    onEntry: (frame) => {
      if (frame.kind === "ended") setState("ended");
    },
    onFrame: (frame) => {
      if (frame.type === "closed") closePanel(item.id);
      else if (frame.type === "error") showError(errors, errorText(frame));
    },
  });
  wireCompose(compose, textarea, session);
  endForm.addEventListener("submit", (event) => {
    event.preventDefault();
    session.sendFrame({ type: "end", outcome: outcome.value });
  });
  chats.append(element);
  panels.set(item.id, { element, session });
  $("no-chats").hidden = true;
  if (focusOnOpen === item.id) textarea.focus();
}

function closePanel(id) {
  const panel = panels.get(id);
  if (!panel) return;
  panel.session.close();
  panel.element.remove();
  panels.delete(id);
  $("no-chats").hidden = panels.size > 0;
  $("queue-heading").tabIndex = -1;
  $("queue-heading").focus();
}

const CONNECTION_TEXT = {
  open: () => gettext("Connected."),
  reconnecting: () => gettext("Connection lost. Reconnecting …"),
};

const queue = new LiveSocket(config.queueWs, {
  onOpen: () => {},
  onStatus: (status) => {
    // Changes can only be sent while connected; the next snapshot enables the switch again.
    if (status !== "open") $("status").disabled = true;
    $("connection").dataset.state = status;
    $("connection").textContent = CONNECTION_TEXT[status]();
  },
  onFrame: (frame) => {
    if (frame.type === "queue") {
      $("status").value = frame.status;
      $("status").disabled = false;
      renderQueue(frame.waiting);
      for (const item of frame.mine) openPanel(item);
    } else if (frame.type === "accepted") {
      errors.replaceChildren();
      focusOnOpen = frame.consultation;
      const panel = panels.get(frame.consultation);
      if (panel) panel.element.querySelector("textarea").focus();
    } else if (frame.type === "error") {
      showError(errors, errorText(frame));
    }
  },
});

$("status").addEventListener("change", (event) => {
  queue.send({ type: "set_status", status: event.target.value });
});

window.setInterval(() => renderQueue(lastWaiting), 30000);
