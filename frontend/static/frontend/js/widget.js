// Sprechstunde website widget. A municipality pastes into its own page:
//   <script src="https://SPRECHSTUNDE-HOST/widget.js" defer></script>
//   <div data-sprechstunde data-topic="hundesteuer"></div>
// Each [data-sprechstunde] element gets a button that opens the start flow (or the given
// topic) of Sprechstunde in a modal dialog with an iframe. Plain script, no dependencies,
// no inline styles in markup (only CSSOM), so it runs under the host page's CSP as well.
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.src) return;
  const origin = new URL(script.src).origin;
  const english = (document.documentElement.lang || "").toLowerCase().startsWith("en");
  const text = english
    ? {
        open: "Online consultation",
        title: "Online consultation of the citizen service",
        close: "Close",
        newWindow: "Open in a new window",
      }
    : {
        open: "Online-Beratung",
        title: "Online-Beratung des Bürgerservice",
        close: "Schließen",
        newWindow: "In neuem Fenster öffnen",
      };

  function flowUrl(topic) {
    return topic ? `${origin}/widget/${encodeURIComponent(topic)}/` : `${origin}/`;
  }

  function style(element, rules) {
    Object.assign(element.style, rules);
  }

  function openDialog(topic, opener) {
    const url = flowUrl(topic);
    const dialog = document.createElement("dialog");
    dialog.className = "sprechstunde-dialog";
    dialog.setAttribute("aria-label", text.title);
    style(dialog, {
      width: "min(56rem, 96vw)",
      height: "min(48rem, 92vh)",
      padding: "0",
      border: "1px solid #767676",
      borderRadius: "6px",
    });
    const bar = document.createElement("div");
    style(bar, {
      display: "flex",
      justifyContent: "flex-end",
      gap: "1rem",
      alignItems: "center",
      padding: "0.4rem 0.6rem",
      background: "#f2f5f8",
    });
    const link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = text.newWindow;
    style(link, { color: "#00508c" });
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = text.close;
    style(close, { minHeight: "2.25rem", minWidth: "2.25rem", font: "inherit", cursor: "pointer" });
    close.addEventListener("click", () => dialog.close());
    bar.append(link, close);
    const frame = document.createElement("iframe");
    frame.src = url;
    frame.title = text.title;
    frame.allow = "camera; microphone";
    style(frame, { border: "0", width: "100%", height: "calc(100% - 3.2rem)", display: "block" });
    dialog.append(bar, frame);
    dialog.addEventListener("close", () => {
      dialog.remove();
      opener.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
    close.focus();
  }

  function mount(container) {
    if (container.dataset.sprechstundeMounted) return;
    container.dataset.sprechstundeMounted = "1";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sprechstunde-button";
    button.textContent = container.dataset.label || text.open;
    style(button, {
      minHeight: "2.75rem",
      padding: "0.5rem 1.1rem",
      font: "inherit",
      fontWeight: "600",
      color: "#fff",
      background: "#00508c",
      border: "2px solid #00508c",
      borderRadius: "4px",
      cursor: "pointer",
    });
    button.addEventListener("click", () => openDialog(container.dataset.topic || "", button));
    container.append(button);
  }

  function mountAll() {
    document.querySelectorAll("[data-sprechstunde]").forEach(mount);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    mountAll();
  }
})();
