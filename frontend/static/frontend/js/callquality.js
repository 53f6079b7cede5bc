// The call's connection quality for both parties, from the peer connection's statistics
// (getStats) every few seconds: round-trip time, packet loss and the bitrate received. Three
// levels, said in words (not colour alone); a new level is announced once, the figures beside
// it are not read out. A poor connection with the camera on suggests turning it off.
import { gettext, interpolate } from "./i18n.js";

const SAMPLE_MS = 2000;
const POOR_SAMPLES_BEFORE_SUGGESTING = 2;
// "0,5" in German, "0.5" in English: the page's language.
const decimal = new Intl.NumberFormat(document.documentElement.lang || undefined, {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});

// Thresholds as video-conferencing tools use them: below 150 ms and 2 % loss a call is fluid,
// above 400 ms or 8 % it stutters.
export function levelOf({ rtt, loss }) {
  if (rtt === null && loss === null) return null;
  if ((rtt ?? 0) > 0.4 || (loss ?? 0) > 0.08) return "poor";
  if ((rtt ?? 0) > 0.15 || (loss ?? 0) > 0.02) return "fair";
  return "good";
}

function levelText(level) {
  if (level === "good") return gettext("Connection quality: good");
  if (level === "fair") return gettext("Connection quality: fair");
  return gettext("Connection quality: poor");
}

// The figures of one sample: the selected candidate pair's round trip, and over the inbound
// streams the packets received and lost and the bytes received since the last sample.
async function sample(pc) {
  const report = await pc.getStats();
  let rtt = null;
  let lost = 0;
  let received = 0;
  let bytes = 0;
  report.forEach((stat) => {
    if (stat.type === "candidate-pair" && stat.nominated && stat.state === "succeeded") {
      if (typeof stat.currentRoundTripTime === "number") rtt = stat.currentRoundTripTime;
    } else if (stat.type === "inbound-rtp") {
      lost += stat.packetsLost || 0;
      received += stat.packetsReceived || 0;
      bytes += stat.bytesReceived || 0;
    }
  });
  return { rtt, lost, received, bytes, at: performance.now() };
}

export class QualityMeter {
  constructor({ level, figures, suggestion, onCameraOff }) {
    this.levelEl = level; // role="status": only a change of level is written there
    this.figuresEl = figures;
    this.suggestion = suggestion; // the hint with its "turn camera off" button
    this.timer = null;
    this.pc = null;
    this.last = null;
    this.level = null;
    this.poorSamples = 0;
    this.cameraOn = () => true;
    suggestion.querySelector("button").addEventListener("click", () => {
      onCameraOff();
      suggestion.hidden = true;
    });
  }

  watch(pc, { cameraOn }) {
    this.stop();
    this.pc = pc;
    this.cameraOn = cameraOn;
    this.timer = window.setInterval(() => this.measure().catch(() => {}), SAMPLE_MS);
  }

  stop() {
    window.clearInterval(this.timer);
    this.timer = null;
    this.pc = null;
    this.last = null;
    this.level = null;
    this.poorSamples = 0;
    this.levelEl.textContent = "";
    this.figuresEl.textContent = "";
    this.suggestion.hidden = true;
  }

  async measure() {
    const pc = this.pc;
    if (!pc || pc.connectionState !== "connected") return;
    const now = await sample(pc);
    if (pc !== this.pc) return;
    const before = this.last;
    this.last = now;
    if (!before) return;
    const packets = now.received - before.received + (now.lost - before.lost);
    const loss = packets > 0 ? Math.max(0, now.lost - before.lost) / packets : null;
    const seconds = (now.at - before.at) / 1000;
    const kbps = seconds > 0 ? ((now.bytes - before.bytes) * 8) / seconds / 1000 : 0;
    this.show(levelOf({ rtt: now.rtt, loss }), { rtt: now.rtt, loss, kbps });
  }

  show(level, { rtt, loss, kbps }) {
    if (!level) return;
    if (level !== this.level) {
      this.level = level;
      this.levelEl.textContent = levelText(level);
      this.levelEl.dataset.level = level;
    }
    this.figuresEl.textContent = interpolate(
      gettext("round trip %(rtt)s ms, loss %(loss)s %, receiving %(kbps)s kbit/s"),
      {
        rtt: rtt === null ? "–" : Math.round(rtt * 1000),
        loss: loss === null ? "–" : decimal.format(loss * 100),
        kbps: Math.round(kbps),
      },
    );
    this.poorSamples = level === "poor" ? this.poorSamples + 1 : 0;
    if (this.poorSamples >= POOR_SAMPLES_BEFORE_SUGGESTING && this.cameraOn()) {
      this.suggestion.hidden = false;
    } else if (level === "good") {
      this.suggestion.hidden = true;
    }
  }
}
