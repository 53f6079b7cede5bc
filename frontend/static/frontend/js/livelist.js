// A server-rendered list of the console (callback requests, written questions) that follows
// the live snapshot: when the snapshot's count changes the page fires `event`, and the list is
// fetched again from its section's `data-url` (also now and then). Never replaced under
// someone who has focus in it or is typing a note there.
const REFRESH_MS = 30000;

export function liveList({ section, list, event }) {
  function busy() {
    return (
      list.contains(document.activeElement) ||
      [...list.querySelectorAll("textarea")].some((area) => area.value.trim() !== "")
    );
  }

  async function load(request) {
    const response = await fetch(request);
    if (!response.ok) throw new Error(String(response.status));
    // The fragment is rendered and escaped by Django's templates on our own origin.
    list.innerHTML = await response.text();
  }

  function refresh() {
    if (!busy()) load(section.dataset.url).catch(() => {});
  }

  document.addEventListener(event, refresh);
  setInterval(refresh, REFRESH_MS);
  return { load };
}
