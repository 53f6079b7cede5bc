// The clerk console: live queue of the clerk's topics, status, the ring, one panel per chat.
import { ChatPanel } from "./chatpanel.js";
import { probePage, showConnection } from "./connection.js";
import { errorText, gettext, interpolate, ngettext, showError } from "./i18n.js";
import { liveList } from "./livelist.js";
import { OfferBell } from "./offer.js";
import { showRequestDetails } from "./request.js";
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

// The queue list is updated in place, entry by entry (keyed by consultation id), so a
// re-render neither moves keyboard focus nor makes a screen reader read the list again.
const entries = new Map(); // consultation id -> { li, label, button }
let order = []; // the ids in the order they are shown
let seen = null; // the ids of the last snapshot (null before the first one)

function queueEntry(item) {
  let entry = entries.get(item.id);
  if (!entry) {
    const li = document.createElement("li");
    li.className = "queue-item";
    const text = document.createElement("div");
    text.className = "queue-text";
    const label = document.createElement("span");
    label.id = `queue-item-${item.id}`;
    const details = document.createElement("span");
    details.id = `queue-details-${item.id}`;
    details.className = "request-details";
    text.append(label, details);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = gettext("Accept");
    button.setAttribute("aria-describedby", `${label.id} ${details.id}`);
    button.addEventListener("click", () => accept(item.id));
    li.append(text, button);
    entry = { li, label, details, button };
    entries.set(item.id, entry);
  }
  showRequestDetails(entry.details, item);
  const notes = [item.requeued ? gettext("priority") : "", item.offered ? gettext("being offered") : ""]
    .filter(Boolean)
    .map((note) => ` [${note}]`)
    .join("");
  entry.label.textContent = `${item.topic} (#${item.id}) – ${since(item.created)}${notes}`;
  return entry;
}

// Where focus goes when the focused entry left: the next entry that is still there, else
// the list's heading.
function focusAfter(id, previousOrder) {
  const next = previousOrder.slice(previousOrder.indexOf(id) + 1).find((other) => entries.has(other));
  if (next !== undefined) entries.get(next).button.focus();
  else $("queue-heading").focus();
}

function renderQueue(waiting) {
  lastWaiting = waiting;
  const list = $("queue");
  const focused = order.find((id) => entries.get(id).button === document.activeElement);
  const previousOrder = order;
  const current = new Set(waiting.map((item) => item.id));
  for (const [id, entry] of entries) {
    if (!current.has(id)) {
      entry.li.remove();
      entries.delete(id);
    }
  }
  waiting.map(queueEntry).forEach(({ li }, index) => {
    const at = list.children[index];
    if (at !== li) list.insertBefore(li, at || null); // only new or reordered entries move
  });
  order = waiting.map((item) => item.id);
  if (focused !== undefined) {
    const entry = entries.get(focused);
    if (!entry) focusAfter(focused, previousOrder);
    else if (document.activeElement !== entry.button) entry.button.focus(); // it was moved
  }
  $("queue-summary").textContent =
    waiting.length === 0
      ? gettext("Nobody is waiting.")
      : interpolate(gettext("%(count)s waiting."), { count: waiting.length });
}

// New entries are told through the one polite live region, not by reading the list again
// (none on the first snapshot: the list is what the clerk finds; none for the offer ringing
// for this clerk: its banner is an alert of its own).
function announceArrivals(waiting, offer) {
  const arrived = seen === null ? [] : waiting.filter((item) => !seen.has(item.id));
  seen = new Set(waiting.map((item) => item.id));
  const told = arrived.filter((item) => !offer || item.id !== offer.id);
  if (told.length === 0) return;
  $("queue-announcer").textContent =
    told.length === 1
      ? interpolate(gettext("New request waiting: %(topic)s."), { topic: told[0].topic })
      : interpolate(
          ngettext("%(count)s new request waiting.", "%(count)s new requests waiting.", told.length),
          { count: told.length },
        );
}

// Missed offers: the snapshot's count of offers that timed out in a row. It grows with
// each miss, is kept when the clerk is set away, and is 0 again once they are available
// or accept.
let lastMissed = null;

function awayText(count) {
  return interpolate(
    ngettext(
      "Offer missed – status set to away (%(count)s offer in a row not accepted).",
      "Offer missed – status set to away (%(count)s offers in a row not accepted).",
      count,
    ),
    { count },
  );
}

function showMissed(lines) {
  const paragraphs = lines.map((line) => {
    const p = document.createElement("p");
    p.textContent = line;
    return p;
  });
  $("missed-text").replaceChildren(...paragraphs);
  $("missed").classList.toggle("notice", lines.length > 0);
  $("missed-dismiss").hidden = lines.length === 0;
}

function tellMissed(status, missed) {
  const before = lastMissed;
  lastMissed = missed;
  const setAway = status === "away" && missed >= config.missedOffersAway;
  if (missed === 0) {
    showMissed([]);
  } else if (before === null) {
    if (setAway) showMissed([awayText(missed)]); // a reloaded console: why it is away
  } else if (missed > before) {
    const lines = [gettext("A request was not accepted in time and went back to the queue.")];
    if (setAway) lines.push(awayText(missed));
    showMissed(lines);
  }
}

$("missed-dismiss").addEventListener("click", () => {
  showMissed([]);
  $("status").focus();
});

function syncPanels(mine, colleagues) {
  const open = new Set(mine.map((item) => item.id));
  for (const id of panels.keys()) if (!open.has(id)) closePanel(id, false);
  for (const item of mine) {
    if (!panels.has(item.id)) {
      const panel = new ChatPanel({
        item,
        template: $("chat-panel"),
        basePath: config.chatWs,
        documents: config.documents,
        snippets: config.snippets,
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
  if (moveFocus || hadFocus) $("queue-heading").focus();
}

function accept(id) {
  queue.send({ type: "accept", consultation: id });
}

const bell = new OfferBell({
  section: $("offer"),
  text: $("offer-text"),
  details: $("offer-details"),
  countdown: $("offer-countdown"),
  accept: $("offer-accept"),
  decline: $("offer-decline"),
  sound: $("ring-sound"),
  onAccept: accept,
  onDecline: (id) => queue.send({ type: "decline", consultation: id }),
});

// The badge with the count of open callback requests of the clerk's topics; when the count
// changes, the list below refreshes (callbacks.js listens for "callbacks-changed").
function showCallbacks(count) {
  const badge = $("callbacks-badge");
  if (badge.dataset.count === String(count)) return;
  badge.dataset.count = String(count);
  badge.textContent = interpolate(ngettext("%(count)s open", "%(count)s open", count), { count });
  document.dispatchEvent(new CustomEvent("callbacks-changed"));
}

// The same for written questions: a new question (or a colleague taking one) refreshes the
// list at once, without a reload.
liveList({ section: $("questions"), list: $("questions-list"), event: "questions-changed" });

function showQuestions(count) {
  const badge = $("questions-badge");
  if (badge.dataset.count === String(count)) return;
  // More than before (not on the first snapshot): said once in the polite live region.
  if (count > Number(badge.dataset.count)) {
    $("queue-announcer").textContent = gettext("New written question.");
  }
  badge.dataset.count = String(count);
  badge.textContent = interpolate(
    ngettext("%(count)s waiting", "%(count)s waiting", count),
    { count },
  );
  document.dispatchEvent(new CustomEvent("questions-changed"));
}

const queue = new LiveSocket(config.queueWs, {
  onOpen: () => {},
  onStatus: (status) => {
    // Changes can only be sent while connected; the next snapshot enables the switch again.
    if (status !== "open") $("status").disabled = true;
    showConnection(status, { line: $("connection"), alert: errors, audience: "staff" });
  },
  // Refused: logged out (the console sends to the login) or the server cannot be reached.
  probe: probePage(window.location.pathname),
  onFrame: (frame) => {
    if (frame.type === "queue") {
      $("status").value = frame.status;
      $("status").disabled = false;
      // The server has the status the clerk chose (set_status below): no longer pending.
      if (frame.status === $("status").dataset.pending) {
        delete $("status").dataset.pending;
        $("status").removeAttribute("aria-busy");
      }
      renderQueue(frame.waiting);
      announceArrivals(frame.waiting, frame.offer);
      tellMissed(frame.status, frame.missed_offers);
      syncPanels(frame.mine, frame.colleagues);
      showCallbacks(frame.callbacks_open);
      showQuestions(frame.questions_open);
      bell.show(frame.offer);
    } else if (frame.type === "accepted") {
      errors.replaceChildren();
      focusOnOpen = frame.consultation;
      const panel = panels.get(frame.consultation);
      if (panel) panel.textarea.focus();
    } else if (frame.type === "error") {
      delete $("status").dataset.pending;
      $("status").removeAttribute("aria-busy");
      showError(errors, errorText(frame));
    }
  },
});

// Browser notifications for a ring in a background tab: asked only from this button,
// never on page load, and offered only while the browser has not been answered yet.
const allow = $("allow-notifications");
allow.hidden = !("Notification" in window) || Notification.permission !== "default";
allow.addEventListener("click", async () => {
  try {
    await Notification.requestPermission();
  } catch {
    // An old browser without the promise form: nothing to do but keep the button.
  }
  if (Notification.permission !== "default") {
    allow.hidden = true;
    $("ring-sound").focus();
  }
});

$("status").addEventListener("change", (event) => {
  // Busy until a snapshot with this status confirms it: only then does routing count it.
  event.target.dataset.pending = event.target.value;
  event.target.setAttribute("aria-busy", "true");
  queue.send({ type: "set_status", status: event.target.value });
});

window.setInterval(() => renderQueue(lastWaiting), 30000);
