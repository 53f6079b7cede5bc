// Translations come from Django's JavaScript catalog (/jsi18n/), loaded before the modules.
export const gettext = (text) => (window.gettext ? window.gettext(text) : text);
export const interpolate = (format, values, named = true) =>
  window.interpolate
    ? window.interpolate(format, values, named)
    : format.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));

const MESSAGES = {
  already_taken: () => gettext("Another clerk has already taken this consultation."),
  not_available: () => gettext("Set your status to available to accept consultations."),
  not_active: () => gettext("This conversation is not active."),
  message_too_long: () => gettext("Your message is too long (at most 4,000 characters)."),
  empty_message: () => gettext("Please enter a message."),
  rate_limited: () => gettext("You are sending too fast. Please wait a moment."),
  not_found: () => gettext("This consultation is no longer available."),
  invalid_outcome: () => gettext("Please choose an outcome."),
  at_capacity: () => gettext("You have no room for another consultation now."),
  not_offered: () => gettext("This request is no longer offered to you."),
  clerk_unavailable: () => gettext("That colleague cannot take this consultation now."),
  clerk_busy: () => gettext("That colleague has no room at the moment."),
  unknown_topic: () => gettext("This topic does not exist or is closed."),
  try_again: () => gettext("A temporary error occurred. Please try again."),
  close_other_conversations: () =>
    gettext("Close your other conversations first: a video call takes your full attention."),
  video_not_possible: () => gettext("A video call is not possible at the moment. The chat goes on."),
  already_video: () => gettext("This conversation is a video call already."),
  not_invited: () => gettext("This invitation to a video call is no longer open."),
  not_video: () => gettext("This is a chat consultation without video."),
  invalid_sdp: () => gettext("The video call could not be set up. Please rejoin the video call."),
  sdp_too_large: () => gettext("The video call could not be set up. Please rejoin the video call."),
  invalid_candidate: () => gettext("The video call could not be set up. Please rejoin the video call."),
  invalid_purpose: () => gettext("Please state the purpose of the recording (at most 300 characters)."),
  recording_running: () => gettext("A recording is already asked for or running."),
  not_requested: () => gettext("This recording is no longer waiting for an answer."),
  not_recording: () => gettext("Nothing is being recorded."),
  relay_failed: () => gettext("The server could not connect the video call. The chat goes on."),
};

export function errorText(frame) {
  const message = MESSAGES[frame.code];
  return message ? message() : interpolate(gettext("Error: %(detail)s"), frame);
}

export function showError(region, text) {
  const item = document.createElement("p");
  item.textContent = text;
  region.replaceChildren(item);
}
