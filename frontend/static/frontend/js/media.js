// Camera and microphone: the devices chosen on the device check, and what to do when one fails.
import { gettext } from "./i18n.js";

const STORE_KEY = "sprechstunde.devices";

export function chosenDevices() {
  try {
    return JSON.parse(window.sessionStorage.getItem(STORE_KEY)) || {};
  } catch {
    return {};
  }
}

export function rememberDevices(devices) {
  window.sessionStorage.setItem(STORE_KEY, JSON.stringify(devices));
}

function constraint(deviceId, base) {
  return deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
}

const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 } };

// Camera and microphone; else the microphone alone (the call goes on by audio); else nothing.
// Returns { stream, problem } where problem is null, "no_camera", "denied" or "no_device".
export async function openLocalMedia(devices = chosenDevices()) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return { stream: null, problem: "no_device" };
  }
  const audio = constraint(devices.audio, { echoCancellation: true, noiseSuppression: true });
  const video = constraint(devices.video, VIDEO);
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ audio, video }), problem: null };
  } catch (error) {
    if (error.name === "NotAllowedError" || error.name === "SecurityError") {
      return { stream: null, problem: "denied" };
    }
    if (error.name === "OverconstrainedError") return openLocalMedia({}); // device unplugged
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio });
    return { stream, problem: "no_camera" };
  } catch (error) {
    const denied = error.name === "NotAllowedError" || error.name === "SecurityError";
    return { stream: null, problem: denied ? "denied" : "no_device" };
  }
}

export function problemText(problem) {
  return {
    denied: gettext(
      "Your browser does not allow this page to use the camera and microphone. You can allow it in the browser's site settings (the symbol left of the address) and try again, or continue by chat.",
    ),
    no_device: gettext(
      "No camera or microphone was found. Please connect one and try again, or continue by chat.",
    ),
    no_camera: gettext("No camera is available. You can take part with your microphone only."),
  }[problem];
}

export function stopStream(stream) {
  if (stream) for (const track of stream.getTracks()) track.stop();
}
