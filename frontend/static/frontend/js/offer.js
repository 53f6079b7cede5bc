// The ring: a banner with accept / decline, a countdown and a tone while an offer is pending.
import { gettext, interpolate } from "./i18n.js";
import { showRequestDetails } from "./request.js";

const RING_EVERY_MS = 2000;

const inBackground = () => document.visibilityState === "hidden";

// While an offer rings in a background tab, the tab's title says so and, if the clerk
// allowed it, the browser shows one notification (topic and channel only: nothing the
// citizen wrote reaches the system's notification centre).
export class OfferBell {
  constructor({ section, text, details, countdown, accept, decline, sound, onAccept, onDecline }) {
    Object.assign(this, { section, text, details, countdown, sound });
    this.current = null;
    this.timers = [];
    this.title = document.title;
    this.notification = null;
    this.notified = null; // the offer a notification was shown for
    accept.addEventListener("click", () => this.current && onAccept(this.current.id));
    decline.addEventListener("click", () => this.current && onDecline(this.current.id));
    document.addEventListener("visibilitychange", () => this.attention());
  }

  attention() {
    const ringing = this.current !== null && inBackground();
    document.title = ringing
      ? interpolate(gettext("New request – %(title)s"), { title: this.title })
      : this.title;
    if (ringing) this.notify();
    else if (this.notification) {
      this.notification.close();
      this.notification = null;
    }
  }

  notify() {
    const offer = this.current;
    if (this.notified === offer.id) return;
    this.notified = offer.id;
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const notification = new Notification(gettext("Incoming request"), {
        body: this.text.textContent,
        tag: `offer-${offer.id}`,
      });
      notification.addEventListener("click", () => {
        window.focus();
        notification.close();
      });
      this.notification = notification;
    } catch {
      // Some browsers (Chrome on Android) allow notifications only from a service worker.
    }
  }

  show(offer) {
    if (offer && this.current && offer.id === this.current.id) return;
    this.stop();
    this.current = offer;
    this.section.hidden = !offer;
    if (!offer) return;
    const channel = offer.channel === "video" ? gettext("video") : gettext("chat");
    // role="alert": announced once; the countdown beside it is visual only.
    this.text.textContent = interpolate(gettext("New request: %(topic)s (%(channel)s)."), {
      topic: offer.topic,
      channel,
    });
    showRequestDetails(this.details, offer); // service and concern, beside the alert
    const tick = () => {
      const left = Math.max(0, Math.round((new Date(offer.expires) - Date.now()) / 1000));
      this.countdown.textContent = interpolate(gettext("%(seconds)s s left to accept"), {
        seconds: left,
      });
    };
    tick();
    this.timers.push(window.setInterval(tick, 1000));
    this.ring();
    this.timers.push(window.setInterval(() => this.ring(), RING_EVERY_MS));
    this.attention();
  }

  ring() {
    if (!this.sound.checked || !window.AudioContext) return;
    try {
      this.audio = this.audio || new AudioContext();
      const now = this.audio.currentTime;
      for (const [start, frequency] of [[0, 880], [0.25, 660]]) {
        const tone = this.audio.createOscillator();
        const gain = this.audio.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.15, now + start);
        gain.gain.exponentialRampToValueAtTime(0.001, now + start + 0.2);
        tone.connect(gain).connect(this.audio.destination);
        tone.start(now + start);
        tone.stop(now + start + 0.2);
      }
    } catch {
      // No audio output: the banner still shows the offer.
    }
  }

  stop() {
    this.timers.forEach((timer) => window.clearInterval(timer));
    this.timers = [];
    this.current = null;
    this.attention();
  }
}
