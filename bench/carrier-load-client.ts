/**
 * Load generator for the carrier bench (a separate process, so the "carrier" does not share
 * roomkit's event loop): N Twilio calls, each placed like Twilio places one (the signed voice
 * webhook, then the `<Connect><Stream>` WebSocket with a signed upgrade), each streaming 20 ms
 * of mu-law every 20 ms, playing what comes back in real time (marks echoed when played) and
 * timing it. One shared timer drives every call, as a carrier's media server would.
 * Prints one JSON line when done: frame lateness (p50/p99/max, ms) and counts.
 */
import { FakeTwilioVoice, twilioDialect, type FakeStreamCall } from '../src/testing/index.js';
import { mulawEncode } from '../src/voice/audio/g711.js';

const [webhookUrl, accountSid, authToken, countArg, secondsArg] = process.argv.slice(2);
const count = Number(countArg);
const seconds = Number(secondsArg);

const voiced = mulawEncode(
  Int16Array.from({ length: 160 }, (_, i) => Math.round(5000 * Math.sin((2 * Math.PI * 220 * i) / 8000))),
);
const quiet = mulawEncode(new Int16Array(160).map((_, i) => (i % 5) - 2));

interface Call {
  stream: FakeStreamCall;
  /** When the audio received so far finishes playing (ms). */
  due: number;
  /** Marks waiting for their audio to play: [when, name]. */
  marks: [number, string][];
  frames: number;
}

const voice = new FakeTwilioVoice({
  accountSid: accountSid!,
  authToken: authToken!,
  phoneNumber: '+15005550006',
});
const calls: Call[] = [];
const lateness: number[] = [];
let measuring = false;
let marksEchoed = 0;

function watch(stream: FakeStreamCall): Call {
  const call: Call = { stream, due: 0, marks: [], frames: 0 };
  // The bench reads the socket itself (the fake's own player would wake every 5 ms per call).
  stream.socket.removeAllListeners('message');
  stream.socket.on('message', (data: Buffer, isBinary: boolean) => {
    const msg = twilioDialect.read(data, isBinary);
    const now = performance.now();
    if (msg.type === 'media') {
      const ms = msg.payload.byteLength / 8;
      // Late: the frame came after the audio before it had finished playing (an audible gap).
      if (measuring && call.due > 0 && now - call.due < 500) lateness.push(Math.max(0, now - call.due));
      call.due = Math.max(call.due, now) + ms;
      call.frames++;
    } else if (msg.type === 'mark') call.marks.push([call.due, msg.name]);
    else if (msg.type === 'clear') call.marks.length = 0;
  });
  return call;
}

for (let i = 0; i < count; i++) {
  const from = `+1555${String(1000000 + i).slice(1)}`;
  const placed = await voice.placeCall({ webhookUrl: webhookUrl!, from }).catch(() => undefined);
  if (placed?.call) calls.push(watch(placed.call));
}

// Measure a steady window: once every call hears its reply (or 15 s passed), plus a second.
const start = performance.now();
let measureFrom = Number.POSITIVE_INFINITY;
let tick = 0;
const timer = setInterval(() => {
  const now = performance.now();
  if (measureFrom === Number.POSITIVE_INFINITY && (calls.every((c) => c.frames > 0) || now - start > 15_000))
    measureFrom = now + 1000;
  measuring = now >= measureFrom;
  const phase = (tick * 20) % 2000;
  const payload = phase < 1200 ? voiced : quiet;
  for (const c of calls) {
    if (!c.stream.isOpen) continue;
    c.stream.socket.send(twilioDialect.media(c.stream.info, payload, tick + 1));
    while (c.marks.length > 0 && c.marks[0]![0] <= now) {
      c.stream.socket.send(twilioDialect.markEcho(c.stream.info, c.marks.shift()![1]));
      marksEchoed++;
    }
  }
  tick++;
  if (now - measureFrom > seconds * 1000) {
    clearInterval(timer);
    lateness.sort((a, b) => a - b);
    const pick = (q: number) => lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))] ?? 0;
    console.log(
      JSON.stringify({
        opened: calls.length,
        frames: lateness.length,
        p50: pick(0.5),
        p99: pick(0.99),
        max: lateness.at(-1) ?? 0,
        marksEchoed,
        talking: calls.filter((c) => c.frames > 0).length,
      }),
    );
    for (const c of calls) c.stream.socket.terminate();
    process.exit(0);
  }
}, 20);
