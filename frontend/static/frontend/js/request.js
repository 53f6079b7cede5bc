// What the citizen gave with the start: the service page they came from and their concern.
// Always set as text (textContent), never as markup: the concern is the citizen's own words.
import { gettext, interpolate } from "./i18n.js";

export function requestDetails(item) {
  const lines = [];
  if (item.service) {
    lines.push(interpolate(gettext("Service: %(service)s"), { service: item.service }));
  }
  if (item.concern) {
    lines.push(interpolate(gettext("Concern: “%(concern)s”"), { concern: item.concern }));
  }
  return lines;
}

// Fills `element` with one line per detail and hides it when there is none.
export function showRequestDetails(element, item) {
  const lines = requestDetails(item).map((text) => {
    const line = document.createElement("span");
    line.textContent = text;
    return line;
  });
  element.replaceChildren(...lines);
  element.hidden = lines.length === 0;
}
