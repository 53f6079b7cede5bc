// The video call beside the chat: peer-to-peer by default (the clerk offers, the citizen
// answers, candidates trickle over the chat socket), or through the server's media relay
// (each party connects to the media worker). Peer-to-peer that does not connect in time falls
// back to the relay. Frames: docs/protocol.md, "Video".
import { DevicePicker } from "./calldevices.js";
import { QualityMeter } from "./callquality.js";
import { gettext } from "./i18n.js";
import { openLocalMedia, problemText, stopStream } from "./media.js";

// Open peer connections, for support diagnostics (getStats in the browser console) and tests.
window.sprechstundeCalls = window.sprechstundeCalls || new Set();

const GATHER_TIMEOUT_MS = 3000;

function sessionId(sdp) {
  const origin = sdp.split(/\r?\n/).find((line) => line.startsWith("o="));
  return origin ? origin.split(" ")[1] : "";
}

function iceGatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    window.setTimeout(resolve, GATHER_TIMEOUT_MS); // send what was gathered so far
  });
}

export class VideoCall {
  constructor({ root, role, send }) {
    this.root = root;
    this.role = role; // "citizen" or "clerk"; the clerk makes the peer-to-peer offers
    this.send = send;
    this.config = null;
    this.mode = null; // "p2p" or "relay" once the call runs
    this.pc = null;
    this.local = null;
    this.pendingCandidates = [];
    this.fallbackTimer = null;
    this.screenTrack = null;
    this.joined = false;
    this.mediaDone = false; // frames before our media is ready are ignored; rtc_ready follows
    this.offeredAt = 0;
    const $ = (selector) => root.querySelector(selector);
    this.stateLine = $(".call-state");
    this.videos = $(".call-videos");
    this.remoteVideo = $(".call-remote");
    this.localVideo = $(".call-local");
    this.buttons = {
      mute: $(".call-mute"),
      camera: $(".call-camera"),
      share: $(".call-share"),
      hangup: $(".call-hangup"),
      rejoin: $(".call-rejoin"),
      sound: $(".call-sound"),
    };
    this.buttons.sound.addEventListener("click", () => {
      this.remoteVideo.muted = false;
      this.remoteVideo.play().catch(() => {});
      this.buttons.sound.hidden = true;
    });
    this.buttons.mute.addEventListener("click", () => this.toggle("audio", this.buttons.mute));
    this.buttons.camera.addEventListener("click", () => this.toggle("video", this.buttons.camera));
    this.buttons.share.addEventListener("click", () => this.toggleShare());
    this.buttons.hangup.addEventListener("click", () => this.hangUp());
    this.buttons.rejoin.addEventListener("click", () => this.join());
    this.devices = new DevicePicker({
      root: $(".call-devices"),
      onInput: (kind, deviceId) => this.switchInput(kind, deviceId),
      onSpeaker: (deviceId) => this.remoteVideo.setSinkId(deviceId),
    });
    this.quality = new QualityMeter({
      level: $(".call-quality-level"),
      figures: $(".call-quality-figures"),
      suggestion: $(".call-suggestion"),
      onCameraOff: () => {
        if (this.cameraOn()) this.toggle("video", this.buttons.camera);
      },
    });
    // Phones cannot share their screen: no button where the browser lacks the function.
    this.canShare = Boolean(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    this.showInCall(false);
  }

  // The videos and the buttons that act on them only while this party is in the call.
  showInCall(inCall) {
    this.videos.hidden = !inCall;
    this.buttons.mute.hidden = !inCall;
    this.buttons.camera.hidden = !inCall;
    this.buttons.share.hidden = !inCall || !this.canShare;
    this.buttons.hangup.hidden = !inCall;
    this.devices.root.hidden = !inCall || !this.local;
    if (!inCall) this.buttons.sound.hidden = true;
  }

  say(text) {
    this.stateLine.textContent = text;
  }

  devicesInUse() {
    const of = (track) => (track ? track.getSettings().deviceId : "");
    return {
      videoinput: of(this.local && this.local.getVideoTracks()[0]),
      audioinput: of(this.local && this.local.getAudioTracks()[0]),
      audiooutput: this.remoteVideo.sinkId || "default",
    };
  }

  // Another camera or microphone: its track replaces the old one in our stream and in what
  // the peer connection sends (not while the screen is shared: the screen stays).
  async switchInput(kind, deviceId) {
    if (!this.local) return;
    const fresh = await navigator.mediaDevices.getUserMedia({ [kind]: { deviceId: { exact: deviceId } } });
    const track = fresh.getTracks()[0];
    const old = this.local.getTracks().find((t) => t.kind === kind);
    if (old) {
      track.enabled = old.enabled; // muted or camera off stays so
      this.local.removeTrack(old);
      old.stop();
    }
    this.local.addTrack(track);
    const transceiver =
      this.pc && this.pc.getTransceivers().find((t) => t.receiver.track.kind === kind);
    if (transceiver && !(kind === "video" && this.screenTrack)) {
      await transceiver.sender.replaceTrack(track);
    }
    if (!this.screenTrack) this.localVideo.srcObject = this.local;
  }

  cameraOn() {
    const sending = this.local && this.local.getVideoTracks().length > 0 && !this.screenTrack;
    return Boolean(sending) && this.buttons.camera.getAttribute("aria-pressed") !== "true";
  }

  configure(config) {
    this.config = config;
    this.mode = config.mode;
  }

  // Camera and microphone on, then into the call. Without media the party still joins,
  // receive-only: the citizen sees and hears the clerk and writes in the chat.
  async join() {
    if (this.joined || !this.config) return;
    this.joined = true;
    this.mediaDone = false;
    this.root.hidden = false;
    this.buttons.rejoin.hidden = true;
    this.showInCall(true);
    this.say(gettext("Starting camera and microphone …"));
    const { stream, problem } = await openLocalMedia();
    if (!this.joined) {
      stopStream(stream);
      return;
    }
    this.local = stream;
    this.localVideo.srcObject = stream;
    this.localVideo.hidden = !stream || stream.getVideoTracks().length === 0;
    this.buttons.mute.disabled = !stream || stream.getAudioTracks().length === 0;
    this.buttons.camera.disabled = !stream || stream.getVideoTracks().length === 0;
    this.mediaDone = true;
    this.devices.root.hidden = !stream;
    if (stream) this.devices.fill(this.devicesInUse());
    this.say(problem ? problemText(problem) : gettext("Connecting the video call …"));
    if (this.mode === "relay") await this.connectRelay();
    else this.send({ type: "rtc_ready" });
  }

  handle(frame) {
    if (frame.type === "rtc_config") {
      this.configure(frame);
      return true;
    }
    if (!frame.type.startsWith("rtc_")) return false;
    if (frame.type === "rtc_use_relay") this.mode = "relay";
    if (!this.joined || !this.mediaDone) return true; // our rtc_ready restarts the exchange
    const handlers = {
      rtc_ready: () => {
        if (this.mode !== "p2p") return;
        // Both parties may announce themselves at once: one offer answers both.
        const recent = this.pc && Date.now() - this.offeredAt < 1500;
        if (this.role === "clerk" && !recent) this.offer();
        else if (!this.pc || this.pc.connectionState !== "connected") {
          this.send({ type: "rtc_ready" }); // the clerk (re)joined: ask for an offer
        }
      },
      rtc_offer: () => this.answer(frame.sdp),
      rtc_answer: () => {
        if (this.pc && this.pc.signalingState === "have-local-offer") {
          return this.pc.setRemoteDescription({ type: "answer", sdp: frame.sdp });
        }
        return null;
      },
      rtc_candidate: () => this.addCandidate(frame),
      rtc_hangup: () => {
        this.closePeer(); // no restart, no fallback: the other party comes back by rtc_ready
        this.remoteVideo.srcObject = null;
        this.say(gettext("The other party has left the video call. The chat goes on."));
      },
      rtc_use_relay: () => this.connectRelay(),
      rtc_relay_answer: () =>
        this.pc && this.pc.setRemoteDescription({ type: "answer", sdp: frame.sdp }),
      rtc_relay_state: () => {
        if (frame.state === "failed") this.say(gettext("The video connection failed."));
      },
    };
    const handler = handlers[frame.type];
    if (handler) Promise.resolve(handler()).catch((error) => this.fail(error));
    return true;
  }

  fail(error) {
    this.say(gettext("The video connection failed. The chat goes on."));
    window.console.warn("video call:", error.name || error);
  }

  newPeerConnection() {
    this.closePeer();
    // Forced relay candidates hide each party's address from the other; the server relay
    // learns it anyway (as the web server does), so its legs may use every candidate.
    const pc = new RTCPeerConnection({
      iceServers: this.config.ice_servers,
      iceTransportPolicy: this.mode === "relay" ? "all" : this.config.ice_transport_policy,
      bundlePolicy: "max-bundle",
    });
    this.pc = pc;
    window.sprechstundeCalls.add(pc);
    this.pendingCandidates = [];
    pc.addEventListener("track", (event) => {
      const stream = event.streams[0] || new MediaStream([event.track]);
      if (this.remoteVideo.srcObject === stream) return;
      this.remoteVideo.srcObject = stream;
      // Without a recent click the browser may refuse sound: play muted and offer a button.
      this.remoteVideo.play().catch(() => {
        this.remoteVideo.muted = true;
        this.buttons.sound.hidden = false;
        this.remoteVideo.play().catch(() => {});
      });
    });
    pc.addEventListener("connectionstatechange", () => this.connectionChanged(pc));
    if (this.mode === "p2p") {
      pc.addEventListener("icecandidate", ({ candidate }) => {
        this.send({
          type: "rtc_candidate",
          candidate: candidate ? candidate.candidate : "",
          sdp_mid: candidate ? candidate.sdpMid || "" : "",
          sdp_mline_index: candidate ? candidate.sdpMLineIndex || 0 : 0,
        });
      });
    }
    return pc;
  }

  // Our tracks where we have them; receive-only where we do not, so both kinds always flow.
  addLocalTracks(pc) {
    for (const kind of ["audio", "video"]) {
      const track = this.local && this.local.getTracks().find((t) => t.kind === kind);
      const transceiver = pc.getTransceivers().find((t) => t.receiver.track.kind === kind);
      if (transceiver) {
        transceiver.direction = track ? "sendrecv" : "recvonly";
        if (track) transceiver.sender.replaceTrack(this.screenFor(kind, track));
      } else if (track) {
        pc.addTrack(this.screenFor(kind, track), this.local);
      } else {
        pc.addTransceiver(kind, { direction: "recvonly" });
      }
    }
  }

  screenFor(kind, track) {
    return kind === "video" && this.screenTrack ? this.screenTrack : track;
  }

  async offer({ iceRestart = false } = {}) {
    const pc = iceRestart && this.pc ? this.pc : this.newPeerConnection();
    this.offeredAt = Date.now();
    if (!iceRestart) this.addLocalTracks(pc);
    await pc.setLocalDescription(await pc.createOffer({ iceRestart }));
    this.send({ type: "rtc_offer", sdp: pc.localDescription.sdp });
    this.armFallback(pc);
  }

  async answer(sdp) {
    // A new session (the clerk reloaded, or a first call) gets a new peer connection; an ICE
    // restart of the running session keeps it.
    const same = this.pc && this.pc.remoteDescription && sessionId(this.pc.remoteDescription.sdp);
    const pc = same === sessionId(sdp) ? this.pc : this.newPeerConnection();
    await pc.setRemoteDescription({ type: "offer", sdp });
    this.addLocalTracks(pc);
    for (const candidate of this.pendingCandidates.splice(0)) await pc.addIceCandidate(candidate);
    await pc.setLocalDescription(await pc.createAnswer());
    this.send({ type: "rtc_answer", sdp: pc.localDescription.sdp });
  }

  async addCandidate(frame) {
    const candidate = frame.candidate
      ? { candidate: frame.candidate, sdpMid: frame.sdp_mid, sdpMLineIndex: frame.sdp_mline_index }
      : null;
    if (!this.pc || !this.pc.remoteDescription) {
      if (candidate) this.pendingCandidates.push(candidate);
      return;
    }
    await this.pc.addIceCandidate(candidate || undefined);
  }

  // The clerk watches the peer-to-peer attempt; if it does not connect in time, both parties
  // move to the server relay.
  armFallback(pc) {
    window.clearTimeout(this.fallbackTimer);
    this.fallbackTimer = window.setTimeout(() => {
      if (this.pc === pc && pc.connectionState !== "connected" && this.mode === "p2p") {
        this.send({ type: "rtc_use_relay" });
        this.connectRelay();
      }
    }, this.config.p2p_timeout * 1000);
  }

  async connectRelay() {
    this.mode = "relay";
    const pc = this.newPeerConnection();
    this.addLocalTracks(pc);
    await pc.setLocalDescription(await pc.createOffer());
    await iceGatheringComplete(pc); // the media worker takes no trickled candidates
    if (this.pc !== pc) return;
    this.send({ type: "rtc_relay_offer", sdp: pc.localDescription.sdp });
  }

  connectionChanged(pc) {
    if (pc !== this.pc) return;
    const state = pc.connectionState;
    if (state === "connected") {
      window.clearTimeout(this.fallbackTimer);
      this.quality.watch(pc, { cameraOn: () => this.cameraOn() });
      this.say(
        this.mode === "relay"
          ? gettext("Video call connected (through the server).")
          : gettext("Video call connected (directly)."),
      );
    } else if (state === "disconnected") {
      this.say(gettext("The video connection is interrupted. Reconnecting …"));
    } else if (state === "failed") {
      this.say(gettext("The video connection was lost. Reconnecting …"));
      if (this.mode === "relay") this.connectRelay();
      else if (this.role === "clerk") this.offer({ iceRestart: true });
    }
  }

  toggle(kind, button) {
    if (!this.local) return;
    const off = button.getAttribute("aria-pressed") !== "true";
    for (const track of this.local.getTracks()) if (track.kind === kind) track.enabled = !off;
    button.setAttribute("aria-pressed", String(off));
  }

  async toggleShare() {
    const sender = this.pc && this.pc.getSenders().find((s) => s.track && s.track.kind === "video");
    if (this.screenTrack) {
      this.stopShare();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch {
      return; // the person chose not to share
    }
    this.screenTrack = stream.getVideoTracks()[0];
    this.screenTrack.addEventListener("ended", () => this.stopShare());
    if (sender) await sender.replaceTrack(this.screenTrack);
    this.localVideo.srcObject = stream;
    this.buttons.share.setAttribute("aria-pressed", "true");
  }

  stopShare() {
    if (!this.screenTrack) return;
    this.screenTrack.stop();
    this.screenTrack = null;
    const camera = this.local && this.local.getVideoTracks()[0];
    const sender = this.pc && this.pc.getSenders().find((s) => s.track && s.track.kind === "video");
    if (sender && camera) sender.replaceTrack(camera);
    this.localVideo.srcObject = this.local;
    this.buttons.share.setAttribute("aria-pressed", "false");
  }

  closePeer() {
    window.clearTimeout(this.fallbackTimer);
    this.quality.stop();
    if (this.pc) {
      window.sprechstundeCalls.delete(this.pc);
      this.pc.close();
      this.pc = null;
    }
  }

  // notify: this party leaves the call and may rejoin; without: the conversation is over
  // (or back in the queue), and the whole video area goes away.
  hangUp({ notify = true } = {}) {
    if (!notify) this.root.hidden = true;
    if (!this.joined) return;
    this.joined = false;
    if (notify) this.send({ type: "rtc_hangup" });
    this.stopShare();
    this.closePeer();
    stopStream(this.local);
    this.local = null;
    this.mode = this.config ? this.config.mode : null;
    this.localVideo.srcObject = null;
    this.remoteVideo.srcObject = null;
    this.showInCall(false);
    this.buttons.rejoin.hidden = !notify;
    this.say(notify ? gettext("You have left the video call. The chat goes on.") : "");
  }
}
