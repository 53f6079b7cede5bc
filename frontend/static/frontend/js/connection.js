// What a page says about its live connection: the one place for the texts of every socket
// state (socket.js reports it) and the way forward each offers. Transient states go to the
// page's status line (role="status"); a refusal the person must act on goes to its alert
// region (role="alert") with a link or button: reload, back to the start, the console login.
// Error frames ({"type": "error", "code": …}) have their texts in the server's catalogue
// (i18n.js errorText, consult/errors.py). docs/protocol.md, "Refused and closed sockets".
import { gettext } from "./i18n.js";

const START_URL = "/";
const LOGIN_URL = "/console/login/";

function reload() {
  return { label: gettext("Reload page"), onClick: () => window.location.reload() };
}

// A refusal: the socket stays closed (or waits), the alert says why and what to do.
const refused = (alert, action) => ({ line: gettext("Not connected."), alert, action });

// status -> { line: the status line's text, alert: the alert's text or null, action }
const STATES = {
  connecting: () => ({ line: gettext("Connecting …") }),
  open: () => ({ line: gettext("Connected.") }),
  reconnecting: () => ({ line: gettext("Connection lost. Reconnecting …") }),
  unreachable: (audience) => ({
    line: gettext("Connection lost. Reconnecting …"),
    alert:
      audience === "citizen"
        ? gettext(
            "The connection to the server cannot be established. Please check your internet connection; this page keeps trying.",
          )
        : gettext(
            "The connection to the server cannot be established. This page keeps trying; if you were logged out, log in again.",
          ),
    action: audience === "citizen" ? reload() : { label: gettext("To the login"), href: LOGIN_URL },
  }),
  too_many: () =>
    refused(
      gettext(
        "This conversation is open in too many windows. Close one of them; this window tries again shortly.",
      ),
      { label: gettext("Try again now"), onClick: () => window.location.reload() },
    ),
  gone: () =>
    refused(
      gettext(
        "This conversation no longer exists: the link is out of date or incomplete. You can start a new request on the start page.",
      ),
      { label: gettext("To the start page"), href: START_URL },
    ),
  not_yours: () =>
    refused(
      gettext(
        "This conversation is no longer yours: it was transferred, went back to the queue or belongs to a colleague.",
      ),
      { label: gettext("Reload console"), onClick: () => window.location.reload() },
    ),
  logged_out: () =>
    refused(gettext("You are no longer logged in."), {
      label: gettext("To the login"),
      href: LOGIN_URL,
    }),
};

// Shows `status` in the page's status line and, for a refusal, its alert region; an alert of
// an earlier connection problem goes away once the socket is open again.
export function showConnection(status, { line, alert, audience = "citizen" }) {
  const state = (STATES[status] || STATES.reconnecting)(audience);
  if (line) {
    line.dataset.state = status;
    line.textContent = state.line;
  }
  if (!alert) return;
  const previous = alert.querySelector("[data-connection]");
  if (!state.alert) {
    if (previous) previous.remove();
    return;
  }
  if (previous && previous.dataset.connection === status) return; // said already
  const item = document.createElement("p");
  item.dataset.connection = status;
  item.append(state.alert, " ");
  let control;
  if (state.action.href) {
    control = document.createElement("a");
    control.href = state.action.href;
  } else {
    control = document.createElement("button");
    control.type = "button";
    control.addEventListener("click", state.action.onClick);
  }
  control.textContent = state.action.label;
  item.append(control);
  alert.replaceChildren(item);
}

// Why a socket of this page is refused, asked over HTTP of our own origin (socket.js calls it
// after repeated refusals): the page's own address answers 404 when a citizen's conversation
// is gone; the console sends someone logged out to the login (a redirect).
export function probePage(url, { refusedMeans = "unreachable" } = {}) {
  return async () => {
    let response;
    try {
      response = await window.fetch(url, {
        method: "HEAD",
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
      });
    } catch {
      return "unreachable";
    }
    if (response.type === "opaqueredirect" || response.status === 403) return "logged_out";
    if (response.status === 404 || response.status === 410) return "gone";
    return response.ok ? refusedMeans : "unreachable";
  };
}
