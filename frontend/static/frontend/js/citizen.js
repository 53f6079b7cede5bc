// The citizen's room: waiting room with live position, then the chat, then the end.
import { ChatSession, wireCompose } from "./chat.js";
import { errorText, gettext, interpolate, showError } from "./i18n.js";

const config = JSON.parse(document.getElementById("room-config").textContent);
const $ = (id) => document.getElementById(id);
const sections = { waiting: $("waiting"), chat: $("chat"), ended: $("ended") };
const compose = $("compose");
const endForm = $("end-form");
const textarea = $("message");
const connection = $("connection");
let state = config.state;

function show(next) {
  const previous = state;
  state = next;
  sections.waiting.hidden = state !== "waiting";
  sections.chat.hidden = state === "waiting" || state === "abandoned";
  sections.ended.hidden = state === "waiting" || state === "active";
  compose.hidden = state !== "active";
  endForm.hidden = state !== "active";
  if (previous === "waiting" && state === "active") textarea.focus();
  if (previous === "active" && state !== "active") {
    const heading = $("ended-heading");
    heading.tabIndex = -1;
    heading.focus();
  }
}

const CONNECTION_TEXT = {
  open: () => gettext("Connected."),
  reconnecting: () => gettext("Connection lost. Reconnecting …"),
};

const session = new ChatSession({
  path: config.ws,
  log: $("log"),
  typing: $("typing"),
  labels: {
    self: "citizen",
    you: gettext("You"),
    citizen: gettext("You"),
    clerk: config.clerk || gettext("Clerk"),
  },
  onStatus: (status) => {
    connection.dataset.state = status;
    connection.textContent = CONNECTION_TEXT[status]();
  },
  onReady: (frame) => show(frame.state),
  onEntry: (frame) => {
    if (frame.kind === "accepted") show("active");
    if (frame.kind === "ended") show("ended");
    if (frame.kind === "abandoned") show("abandoned");
  },
  onFrame: (frame) => {
    if (frame.type === "position") {
      $("position").textContent = interpolate(
        gettext("You are number %(position)s of %(waiting)s in the queue."),
        frame,
      );
    } else if (frame.type === "error") {
      showError($("errors"), errorText(frame));
    }
  },
});

wireCompose(compose, textarea, session);
show(state);
