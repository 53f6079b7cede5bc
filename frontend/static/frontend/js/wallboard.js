// The live wallboard: redrawn from every board frame; waits tick locally each second.
import { probePage, showConnection } from "./connection.js";
import { gettext, interpolate } from "./i18n.js";
import { LiveSocket } from "./socket.js";

const config = JSON.parse(document.getElementById("wallboard-config").textContent);
const $ = (id) => document.getElementById(id);
let board = null;
let skew = 0; // server clock minus ours

function duration(fromIso) {
  if (!fromIso) return "–";
  const seconds = Math.max(0, Math.round((Date.now() + skew - new Date(fromIso)) / 1000));
  const minutes = Math.floor(seconds / 60);
  return interpolate(gettext("%(minutes)s:%(seconds)s min"), {
    minutes,
    seconds: String(seconds % 60).padStart(2, "0"),
  });
}

function draw() {
  if (!board) return;
  $("service-level").textContent =
    board.service_level === null ? "–" : `${Math.round(board.service_level * 100)} %`;
  $("sl-label").textContent = interpolate(gettext("Service level (%(seconds)s s)"), {
    seconds: board.service_seconds,
  });
  $("requested").textContent = board.requested;
  $("answered").textContent = board.answered;
  for (const state of ["available", "busy", "away"]) {
    $(`clerks-${state}`).textContent = board.clerks[state];
  }
  $("queues").replaceChildren(
    ...board.topics.map((topic) => {
      const row = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = topic.name;
      const waiting = document.createElement("td");
      waiting.textContent = topic.waiting;
      const longest = document.createElement("td");
      longest.textContent = topic.waiting ? duration(topic.oldest) : "–";
      row.append(name, waiting, longest);
      return row;
    }),
  );
}

new LiveSocket(config.ws, {
  onOpen: () => {},
  onStatus: (status) =>
    showConnection(status, { line: $("connection"), alert: $("errors"), audience: "staff" }),
  probe: probePage(window.location.pathname),
  onFrame: (frame) => {
    if (frame.type !== "wallboard") return;
    board = frame;
    skew = new Date(frame.now) - Date.now();
    draw();
  },
});

window.setInterval(draw, 1000);
