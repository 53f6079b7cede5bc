// The clerk console: live queue of the clerk's topics, status, the ring, one panel per chat.
import { ChatPanel } from "./chatpanel.js";
import { errorText, gettext, interpolate, showError } from "./i18n.js";
import { OfferBell } from "./offer.js";
import { LiveSocket } from "./socket.js";

const config = JSON.parse(document.getElementById("console-config").textContent);
const $ = (id) => document.getElementById(id);
const errors = $("errors");
const panels = new Map(); // consultation id -> ChatPanel
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
    const notes = [item.requeued ? gettext("priority") : "", item.offered ? gettext("being offered") : ""]
      .filter(Boolean)
      .map((note) => ` [${note}]`)
      .join("");
    label.textContent = `${item.topic} (#${item.id}) – ${since(item.created)}${notes}`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = gettext("Accept");
    button.setAttribute("aria-describedby", label.id);
    button.addEventListener("click", () => accept(item.id));
    li.append(label, button);
    return li;
  });
  $("queue").replaceChildren(...items);
  $("queue-summary").textContent =
    waiting.length === 0
      ? gettext("Nobody is waiting.")
      : interpolate(gettext("%(count)s waiting."), { count: waiting.length });
}

function syncPanels(mine, colleagues) {
  const open = new Set(mine.map((item) => item.id));
  for (const id of panels.keys()) if (!open.has(id)) closePanel(id, false);
  for (const item of mine) {
    if (!panels.has(item.id)) {
      const panel = new ChatPanel({
        item,
        template: $("chat-panel"),
        basePath: config.chatWs,
        errors,
        onClosed: (id) => closePanel(id, true),
      });
      $("chats").append(panel.element);
      panels.set(item.id, panel);
      if (focusOnOpen === item.id) panel.textarea.focus();
    }
    panels.get(item.id).setColleagues(colleagues);
  }
  $("no-chats").hidden = panels.size > 0;
}

function closePanel(id, moveFocus) {
  const panel = panels.get(id);
  if (!panel) return;
  const hadFocus = panel.element.contains(document.activeElement);
  panel.close();
  panels.delete(id);
  $("no-chats").hidden = panels.size > 0;
  if (moveFocus || hadFocus) {
    $("queue-heading").tabIndex = -1;
    $("queue-heading").focus();
  }
}

function accept(id) {
  queue.send({ type: "accept", consultation: id });
}

const bell = new OfferBell({
  section: $("offer"),
  text: $("offer-text"),
  countdown: $("offer-countdown"),
  accept: $("offer-accept"),
  decline: $("offer-decline"),
  sound: $("ring-sound"),
  onAccept: accept,
  onDecline: (id) => queue.send({ type: "decline", consultation: id }),
});

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
      syncPanels(frame.mine, frame.colleagues);
      bell.show(frame.offer);
    } else if (frame.type === "accepted") {
      errors.replaceChildren();
      focusOnOpen = frame.consultation;
      const panel = panels.get(frame.consultation);
      if (panel) panel.textarea.focus();
    } else if (frame.type === "error") {
      showError(errors, errorText(frame));
    }
  },
});

$("status").addEventListener("change", (event) => {
  queue.send({ type: "set_status", status: event.target.value });
});

window.setInterval(() => renderQueue(lastWaiting), 30000);
