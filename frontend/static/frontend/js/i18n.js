// Translations come from Django's JavaScript catalog (/jsi18n/), loaded before the modules.
export const gettext = (text) => (window.gettext ? window.gettext(text) : text);
export const ngettext = (singular, plural, count) =>
  window.ngettext ? window.ngettext(singular, plural, count) : count === 1 ? singular : plural;
export const interpolate = (format, values, named = true) =>
  window.interpolate
    ? window.interpolate(format, values, named)
    : format.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));

// The error texts per code come from the server's one catalogue (consult/errors.py), in the
// page's language: the pages with sockets carry it as JSON ({% error_messages %}):
// {"messages": {code: text}, "unknown": text for a code without one}.
let catalogue = null;

function errorCatalogue() {
  if (catalogue === null) {
    const element = document.getElementById("error-messages");
    catalogue = element ? JSON.parse(element.textContent) : { messages: {}, unknown: null };
  }
  return catalogue;
}

export function errorText(frame) {
  const { messages, unknown } = errorCatalogue();
  return messages[frame.code] || unknown || interpolate(gettext("Error: %(detail)s"), frame);
}

export function showError(region, text) {
  const item = document.createElement("p");
  item.textContent = text;
  region.replaceChildren(item);
}
