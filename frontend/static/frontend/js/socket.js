// A websocket to our own origin that reconnects with backoff and reports its state.

const MAX_DELAY_MS = 15000;
// The server closes a staff socket with this code when the user's access changed (logout,
// deactivation, a new password, other topics): the page reloads, and the login page or the
// narrowed console is what the session still allows.
const ACCESS_CHANGED = 4003;
// A citizen's conversation is open in too many windows (WS_SOCKETS_PER_TOKEN): say so and try
// again slowly, in case another window closes.
const TOO_MANY_SOCKETS = 4029;
const TOO_MANY_RETRY_MS = 30000;

export class LiveSocket {
  constructor(path, { onOpen, onFrame, onStatus }) {
    this.path = path;
    this.onOpen = onOpen;
    this.onFrame = onFrame;
    this.onStatus = onStatus || (() => {});
    this.attempts = 0;
    this.stopped = false;
    this.connect();
  }

  connect() {
    const url = new URL(this.path, window.location.href);
    url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(url);
    this.ws.addEventListener("open", () => {
      this.attempts = 0;
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
      this.onStatus("reconnecting");
      const delay = Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempts) * (0.75 + Math.random() / 2);
      this.attempts += 1;
      window.setTimeout(() => this.connect(), delay);
    });
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
