// Camera, microphone and speaker chosen during the call (the call's "Geräte" area): the lists
// come from enumerateDevices once camera and microphone are open (only then are the names
// known); a choice opens that device and replaces the track the peer connection sends, without
// a new negotiation. The speaker needs setSinkId; where the browser lacks it, no such list.
import { gettext } from "./i18n.js";

const KINDS = { videoinput: "video", audioinput: "audio" };

export class DevicePicker {
  constructor({ root, onInput, onSpeaker }) {
    this.root = root; // <details>, hidden while not in a call
    this.onInput = onInput; // (kind "audio"/"video", deviceId) => Promise
    this.onSpeaker = onSpeaker; // deviceId => Promise
    this.selects = [...root.querySelectorAll("select[data-kind]")];
    this.canChooseSpeaker = "setSinkId" in HTMLMediaElement.prototype;
    for (const select of this.selects) {
      select.addEventListener("change", () => this.choose(select));
    }
  }

  // Fill the lists; ``current`` maps a kind ("videoinput", ...) to the device in use.
  async fill(current) {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      devices = [];
    }
    for (const select of this.selects) {
      const kind = select.dataset.kind;
      const found = devices.filter((device) => device.kind === kind && device.deviceId);
      select.replaceChildren(
        ...found.map((device, n) => {
          const option = new Option(device.label || `${kind} ${n + 1}`, device.deviceId);
          option.selected = device.deviceId === current[kind];
          return option;
        }),
      );
      const unusable = found.length < 2 || (kind === "audiooutput" && !this.canChooseSpeaker);
      select.closest(".field").hidden = unusable;
    }
  }

  async choose(select) {
    const error = this.root.querySelector(".call-device-error");
    error.textContent = "";
    try {
      if (select.dataset.kind === "audiooutput") await this.onSpeaker(select.value);
      else await this.onInput(KINDS[select.dataset.kind], select.value);
    } catch {
      error.textContent = gettext("This device could not be used. Please choose another one.");
    }
  }
}
