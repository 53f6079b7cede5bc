// The citizen's room: waiting room with live position, then the chat, then the end.
import { VideoCall } from "./call.js";
import { ChatSession, wireCompose } from "./chat.js";
import { confirmBeforeSubmit } from "./confirm.js";
import { DocumentShare } from "./documents.js";
import { probePage, showConnection } from "./connection.js";
import { errorText, gettext, interpolate, showError } from "./i18n.js";
import { RecordingControls, consentDialog } from "./recording.js";

// "ca. 4 Min.", or a range when the projection with short and long conversations differs.
function estimateText({ estimate, estimate_low: low, estimate_high: high }) {
  if (estimate === null) {
    return gettext("Nobody is available for this topic at the moment. You keep your place.");
  }
  if (high < 60) return gettext("Estimated wait: less than a minute.");
  const from = Math.max(1, Math.round(low / 60));
  const to = Math.max(from, Math.ceil(high / 60));
  if (to - from >= 2) {
    return interpolate(gettext("Estimated wait: about %(from)s–%(to)s min."), { from, to });
  }
  return interpolate(gettext("Estimated wait: about %(minutes)s min."), {
    minutes: Math.max(1, Math.round(estimate / 60)),
  });
}

const config = JSON.parse(document.getElementById("room-config").textContent);
const $ = (id) => document.getElementById(id);
const sections = { waiting: $("waiting"), asked: $("asked"), chat: $("chat"), ended: $("ended") };
const compose = $("compose");
const endForm = $("end-form");
const textarea = $("message");
const connection = $("connection");
let state = config.state;
let talked = config.state !== "waiting" || config.served;
let call = null;
let recording = null;
// A phone (as in app.css): the chat fills the screen, so it is scrolled into view once it runs.
const phone = window.matchMedia("(max-width: 40rem)");

function fitChat() {
  if (phone.matches && !call) sections.chat.scrollIntoView({ block: "start" });
}

function show(next) {
  const previous = state;
  state = next;
  sections.waiting.hidden = state !== "waiting";
  sections.asked.hidden = state !== "asked"; // a written question nobody has taken yet
  // Back in the queue after a conversation (requeued, transferred): the history stays.
  sections.chat.hidden = state === "abandoned" || (state === "waiting" && !talked);
  sections.ended.hidden = state === "waiting" || state === "active" || state === "asked";
  // Back in the queue, the citizen may go on writing: the next clerk reads it.
  compose.hidden = !(state === "active" || (state === "waiting" && talked));
  $("document-area").hidden = state !== "active";
  const feedback = $("feedback"); // the rating form, after a conversation that took place
  if (feedback) feedback.hidden = !(state === "ended" && talked);
  endForm.hidden = state !== "active";
  if (state !== "active" && $("end-confirm").open) $("end-confirm").close();
  if (call && state === "active") call.join();
  if (call && state !== "active") call.hangUp({ notify: false });
  if ((previous === "waiting" || previous === "asked") && state === "active") {
    textarea.focus({ preventScroll: phone.matches && !call });
    fitChat();
  }
  if (previous === "active" && (state === "ended" || state === "abandoned")) {
    const heading = $("ended-heading");
    heading.tabIndex = -1;
    heading.focus();
  }
}

const session = new ChatSession({
  path: config.ws,
  log: $("log"),
  typing: $("typing"),
  labels: {
    self: "citizen",
    you: gettext("You"),
    citizen: gettext("You"),
    clerk: config.clerk || gettext("Clerk"),
    clerkName: config.clerk, // empty where the city shows no name
  },
  onStatus: (status) => showConnection(status, { line: connection, alert: $("errors") }),
  // A refused socket: the room's own address answers 404 once the conversation is gone.
  probe: probePage(window.location.pathname),
  state,
  documentUrl: (id) => `${config.documents.url}${id}/`,
  // The state each log entry and `ready` carry: waiting again after a requeue or a transfer,
  // active once a clerk has joined, ended, abandoned.
  onState: (next) => {
    if (next === "active") talked = true;
    show(next);
  },
  onEntry: (frame) => {
    if (frame.kind === "video") startVideo(); // a change of channel, not of state
  },
  onFrame: (frame) => {
    if (frame.type === "rtc_invite") {
      askForVideo();
    } else if (recording && recording.handle(frame)) {
      // the recording indicator or the consent dialog
    } else if (call && call.handle(frame)) {
      if (frame.type === "rtc_config" && state === "active") call.join();
    } else if (frame.type === "position") {
      $("position").textContent = interpolate(
        gettext("You are number %(position)s of %(waiting)s in the queue."),
        frame,
      );
      $("estimate").textContent = estimateText(frame);
      // Nobody there (any more): keep the place, or write the question instead.
      // (never hidden under someone writing in it)
      const instead = $("ask-instead");
      if (!instead.contains(document.activeElement)) instead.hidden = frame.estimate !== null;
    } else if (frame.type === "error") {
      showError($("errors"), errorText(frame));
    }
  },
});

function startVideo() {
  if (call) return;
  $("room-layout").classList.add("call-layout");
  call = new VideoCall({
    root: document.querySelector(".call"),
    role: "citizen",
    send: (frame) => session.sendFrame(frame),
  });
  recording = new RecordingControls({
    root: document.querySelector(".call"),
    role: "citizen",
    send: (frame) => session.sendFrame(frame),
    askConsent: consentDialog($("rec-consent")),
  });
}

// The clerk invites to a video call: a modal dialog; only "yes" switches camera and microphone on.
function askForVideo() {
  const dialog = $("video-invite");
  if (dialog.open || state !== "active") return;
  const before = document.activeElement;
  const answer = (accept) => {
    session.sendFrame({ type: "rtc_invite_answer", accept });
    dialog.close();
  };
  $("video-invite-yes").onclick = () => answer(true);
  $("video-invite-no").onclick = () => answer(false);
  dialog.oncancel = (event) => {
    event.preventDefault(); // Escape means "no", said out loud to the clerk
    answer(false);
  };
  dialog.onclose = () => before && before.focus();
  dialog.showModal();
}

if (config.channel === "video") startVideo();
wireCompose(compose, textarea, session);
confirmBeforeSubmit(endForm, $("end-confirm"));
new DocumentShare({
  root: $("document-area"),
  url: config.documents.url,
  csrfToken: config.documents.csrf,
  maxBytes: config.documents.maxBytes,
  tooLarge: config.documents.tooLarge,
  onShared: (entry) => session.handle({ type: "message", ...entry }),
});
show(state);
if (state === "active") fitChat();
