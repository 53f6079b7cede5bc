// Recording with consent in a video call (docs/protocol.md, "Recording"). The clerk asks
// with a purpose; the citizen answers in a dialog that states the purpose and the retention
// period; while it records both see a recording indicator, and either can stop it at any
// moment, which deletes what was recorded.
import { gettext, interpolate } from "./i18n.js";

function keptText(days) {
  if (!days) return gettext("The recording is kept until it is deleted by hand.");
  return interpolate(gettext("The recording is deleted %(days)s days after the consultation."), {
    days,
  });
}

export class RecordingControls {
  // root: the call section; askConsent(frame) -> Promise<boolean> (citizen only).
  constructor({ root, role, send, askConsent }) {
    this.role = role;
    this.send = send;
    this.askConsent = askConsent;
    this.current = null;
    const $ = (selector) => root.querySelector(selector);
    this.indicator = $(".rec-indicator");
    this.text = $(".rec-text");
    this.requestForm = $(".rec-request");
    this.stopButton = $(".rec-stop");
    this.withdrawButton = $(".rec-withdraw");
    this.requestForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const purpose = this.requestForm.querySelector("input").value.trim();
      if (purpose) this.send({ type: "rec_request", purpose });
    });
    this.stopButton.addEventListener("click", () => this.command("rec_stop"));
    this.withdrawButton.addEventListener("click", () => this.command("rec_withdraw"));
    this.show(null);
  }

  command(type) {
    if (this.current) this.send({ type, recording: this.current.recording });
  }

  handle(frame) {
    if (frame.type !== "rec_state") return false;
    this.current = frame;
    this.show(frame);
    if (frame.state === "requested" && this.role === "citizen" && this.askConsent) {
      this.askConsent(frame).then((consent) =>
        this.send({ type: "rec_answer", recording: frame.recording, consent }),
      );
    }
    return true;
  }

  show(frame) {
    const state = frame ? frame.state : null;
    const clerk = this.role === "clerk";
    this.requestForm.hidden = !clerk || state === "requested" || state === "recording";
    this.stopButton.hidden = !clerk || state !== "recording";
    this.withdrawButton.hidden = !["requested", "recording", "stopped"].includes(state);
    this.withdrawButton.textContent =
      state === "requested"
        ? gettext("Cancel the recording request")
        : gettext("Stop and delete the recording");
    this.indicator.hidden = state === null;
    this.indicator.dataset.state = state || "";
    const texts = {
      requested: () =>
        clerk
          ? gettext("Waiting for the citizen's consent to record …")
          : gettext("The clerk asks to record this video call."),
      recording: () =>
        interpolate(gettext("Recording – purpose: %(purpose)s. %(kept)s"), {
          purpose: frame.purpose,
          kept: keptText(frame.retention_days),
        }),
      stopped: () => gettext("The recording has ended and is kept."),
      declined: () =>
        clerk
          ? gettext("The citizen did not agree to the recording. Nothing is recorded.")
          : gettext("You did not agree. Nothing is recorded."),
      withdrawn: () => gettext("The recording was stopped and deleted."),
    };
    this.text.textContent = state ? texts[state]() : "";
  }
}

// The citizen's consent dialog: purpose and retention period stated; Escape means no.
export function consentDialog(dialog) {
  return (frame) =>
    new Promise((resolve) => {
      const before = document.activeElement;
      dialog.querySelector(".rec-consent-purpose").textContent = frame.purpose;
      dialog.querySelector(".rec-consent-kept").textContent = keptText(frame.retention_days);
      const answer = (consent) => {
        dialog.close();
        resolve(consent);
      };
      dialog.querySelector(".rec-consent-yes").onclick = () => answer(true);
      dialog.querySelector(".rec-consent-no").onclick = () => answer(false);
      dialog.oncancel = (event) => {
        event.preventDefault();
        answer(false);
      };
      dialog.onclose = () => before && before.focus();
      if (!dialog.open) dialog.showModal();
    });
}
