/** What the voice benches' callers hear back, shared by our server, the bare one and the client. */

/** The mock AI's answer to every utterance. */
export const REPLY_TEXT = 'Here is a reply of about one second.';
/** Mock TTS: audio per non-space character. */
export const TTS_MS_PER_CHAR = 12;
export const CLIENT_RATE = 16000;
/** Quiet that ends an utterance (both servers' VAD). */
export const SILENCE_MS = 300;
/**
 * A reply must start within this long of the end of the caller's voice (the VAD's quiet
 * included), and an utterance must have ended this long before the calls do to be owed one.
 */
export const REPLY_DEADLINE_MS = 1500;

/** Bytes of 16 kHz PCM the mock TTS renders for the reply (what each caller must receive). */
export function replyBytes(): number {
  const chars = REPLY_TEXT.replace(/\s+/g, '').length;
  return Math.round((CLIENT_RATE * chars * TTS_MS_PER_CHAR) / 1000) * 2;
}
