// The device check before a video consultation: preview, microphone level, test tone and
// device choice; the choice is remembered for the call (media.js).
import { gettext } from "./i18n.js";
import { openLocalMedia, problemText, rememberDevices, stopStream } from "./media.js";

const $ = (id) => document.getElementById(id);
const selects = { video: $("camera"), audio: $("microphone"), output: $("speaker") };
let stream = null;
let meterContext = null;

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const kinds = { videoinput: "video", audioinput: "audio", audiooutput: "output" };
  const current = {
    video: stream && stream.getVideoTracks()[0]?.getSettings().deviceId,
    audio: stream && stream.getAudioTracks()[0]?.getSettings().deviceId,
    output: selects.output.value,
  };
  for (const [key, select] of Object.entries(selects)) {
    const options = devices
      .filter((device) => kinds[device.kind] === key && device.deviceId)
      .map((device, index) => new Option(device.label || `${key} ${index + 1}`, device.deviceId));
    select.replaceChildren(...options);
    if (current[key]) select.value = current[key];
  }
  $("speaker-choice").hidden = selects.output.options.length === 0 || !("setSinkId" in AudioContext.prototype);
}

function showLevel(media) {
  if (meterContext) meterContext.close();
  if (media.getAudioTracks().length === 0) return;
  meterContext = new AudioContext();
  const analyser = meterContext.createAnalyser();
  analyser.fftSize = 512;
  meterContext.createMediaStreamSource(media).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const meter = $("level");
  const draw = () => {
    if (!meterContext || meterContext.state === "closed") return;
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128));
    meter.value = Math.min(100, Math.round((peak / 128) * 200));
    meter.textContent = String(meter.value);
    window.requestAnimationFrame(draw);
  };
  draw();
}

async function check(devices) {
  stopStream(stream);
  stream = null;
  $("check-state").textContent = gettext("Asking your browser for the camera and microphone …");
  const result = await openLocalMedia(devices);
  const problem = $("problem");
  problem.hidden = !result.problem;
  problem.textContent = result.problem ? problemText(result.problem) : "";
  $("retry").hidden = !result.problem || result.problem === "no_camera";
  $("check").hidden = !result.stream;
  $("start-video-button").disabled = !result.stream;
  if (!result.stream) {
    $("check-state").textContent = gettext("Camera and microphone are not available.");
    return;
  }
  stream = result.stream;
  $("preview").srcObject = stream;
  $("check-state").textContent = result.problem
    ? gettext("Your microphone works; there is no camera.")
    : gettext("Camera and microphone work. You can start the video consultation.");
  showLevel(stream);
  await listDevices();
  rememberDevices({ video: selects.video.value, audio: selects.audio.value });
}

async function playTone() {
  const context = new AudioContext();
  if (selects.output.value && context.setSinkId) await context.setSinkId(selects.output.value);
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  gain.gain.value = 0.2;
  oscillator.frequency.value = 440;
  oscillator.connect(gain).connect(context.destination);
  oscillator.start();
  $("speaker-state").textContent = gettext("Playing a tone for one second. Did you hear it?");
  oscillator.stop(context.currentTime + 1);
  oscillator.addEventListener("ended", () => context.close());
}

for (const key of ["video", "audio"]) {
  selects[key].addEventListener("change", () =>
    check({ video: selects.video.value, audio: selects.audio.value }),
  );
}
$("speaker-test").addEventListener("click", playTone);
$("retry").addEventListener("click", () => check({}));
$("start-video").addEventListener("submit", () => stopStream(stream));
check(undefined);
