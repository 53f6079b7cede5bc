// A websocket to our own origin that reconnects with backoff and reports its state.

const MAX_DELAY_MS = 15000;
// The server closes a staff socket with this code when the user's access changed (logout,
// deactivation, a new password, other topics): the page reloads, and the login page or the
// narrowed console is what the session still allows.
const ACCESS_CHANGED = 4003;
// A citizen's conversation is open in too many windows (WS_SOCKETS_PER_TOKEN): say so and try
// again slowly, in case another window closes. What each state says: connection.js.
const TOO_MANY_SOCKETS = 4029;
const TOO_MANY_RETRY_MS = 30000;
// A handshake the server refuses (an unknown token, not the clerk's consultation, logged
// out) looks to the browser like a lost network (1006, before "open"). After this many
// connects in a row that never opened, the page asks its own origin over HTTP what is the
// matter (the `probe`, connection.js): "gone", "not_yours" and "logged_out" stop the
// retries; otherwise the socket says "unreachable" and keeps trying.
const FAILED_BEFORE_PROBE = 2;

export class LiveSocket {
  constructor(path, { onOpen, onFrame, onStatus, probe }) {
    this.path = path;
    this.onOpen = onOpen;
    this.onFrame = onFrame;
    this.onStatus = onStatus || (() => {});
    this.probe = probe || null;
    this.attempts = 0;
    this.failed = 0; // connects in a row that never opened
    this.stopped = false;
    this.connect();
  }

  connect() {
    const url = new URL(this.path, window.location.href);
    url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(url);
    let opened = false;
    this.ws.addEventListener("open", () => {
      opened = true;
      this.attempts = 0;
      this.failed = 0;
      this.onStatus("open");
      this.onOpen();
    });
    this.ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onFrame(frame);
    });
    this.ws.addEventListener("close", (event) => {
      if (this.stopped) return;
      if (event.code === ACCESS_CHANGED) {
        this.stopped = true;
        window.location.reload();
        return;
      }
      if (event.code === TOO_MANY_SOCKETS) {
        this.onStatus("too_many");
        window.setTimeout(() => this.connect(), TOO_MANY_RETRY_MS);
        return;
      }
      this.failed = opened ? 0 : this.failed + 1;
      if (this.failed >= FAILED_BEFORE_PROBE) {
        this.askWhy();
        return;
      }
      this.retry("reconnecting");
    });
  }

  // The socket was refused again: a reason the page can name ends the retries.
  async askWhy() {
    const reason = this.probe ? await this.probe() : "unreachable";
    if (this.stopped) return;
    if (reason === "gone" || reason === "not_yours" || reason === "logged_out") {
      this.stopped = true;
      this.onStatus(reason);
      return;
    }
    this.retry("unreachable");
  }

  retry(status) {
    this.onStatus(status);
    const delay = Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempts) * (0.75 + Math.random() / 2);
    this.attempts += 1;
    window.setTimeout(() => this.connect(), delay);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  close() {
    this.stopped = true;
    if (this.ws) this.ws.close();
  }
}

export function newClientId() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
