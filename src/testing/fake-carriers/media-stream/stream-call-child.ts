/**
 * The child process of a StreamCallProcess: one FakeStreamCall, whose records it reports to
 * the parent every few milliseconds (only what changed), and whose commands it takes from it.
 * It ends with its stream, or when the parent goes away.
 */
import { dialectByName } from './dialect-by-name.js';
import { FakeStreamCall } from './fake-stream-call.js';
import type { FromStreamChild, StreamRecords, ToStreamChild } from './stream-call-messages.js';

/** Report interval: the parent's view lags by at most this; the records' times do not. */
const REPORT_MS = 5;

const send = (message: FromStreamChild) => {
  if (process.connected) process.send!(message);
};

process.on('disconnect', () => process.exit(0));
process.once('message', (first: ToStreamChild) => {
  if (first.type !== 'open') return process.exit(1);
  let call: FakeStreamCall;
  try {
    call = new FakeStreamCall(dialectByName(first.dialect), first.info, first.url, first.headers, first.opts);
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message });
    return process.exit(1);
  }
  call.opened.then(
    () => send({ type: 'opened' }),
    (err: Error) => send({ type: 'failed', message: err.message }),
  );
  const report = reporter(call);
  const timer = setInterval(report, REPORT_MS);
  void call.closed.then((code) => {
    clearInterval(timer);
    report();
    send({ type: 'closed', code });
    process.disconnect();
  });
  process.on('message', (message: ToStreamChild) => {
    if (message.type === 'audio') {
      const sent = message.wire
        ? call.streamWire(message.audio as Uint8Array)
        : call.streamAudio(message.audio);
      void sent.finally(() => send({ type: 'sent', id: message.id }));
    } else if (message.type === 'dtmf') call.sendDtmf(message.digit);
    else if (message.type === 'hangup') void call.hangup();
  });
});
send({ type: 'ready', timeOrigin: performance.timeOrigin });

/** A function that sends what changed in the call's records since it last ran, if anything. */
function reporter(call: FakeStreamCall): () => void {
  let received = 0;
  let marks = 0;
  /** Marks before this one are settled (echoed or cleared) and were reported so. */
  let firstOpenMark = 0;
  const reportedSettled = new Set<number>();
  let clears = 0;
  let other = 0;
  let playedMs = -1;
  return () => {
    const settledMarks: StreamRecords['settledMarks'] = [];
    for (let i = firstOpenMark; i < marks; i++) {
      const mark = call.marks[i]!;
      const settled = mark.echoedAt !== undefined || mark.cleared === true;
      if (settled && !reportedSettled.has(i)) {
        reportedSettled.add(i);
        settledMarks.push({ index: i, echoedAt: mark.echoedAt, cleared: mark.cleared });
      }
      if (i === firstOpenMark && settled) {
        reportedSettled.delete(i);
        firstOpenMark++;
      }
    }
    const records: StreamRecords = {
      type: 'records',
      // A Buffer crosses as a plain object: its bytes go as a Uint8Array.
      received: call.received.slice(received).map((r) => ({ at: r.at, payload: new Uint8Array(r.payload) })),
      newMarks: call.marks.slice(marks).map((m) => ({ ...m })),
      settledMarks,
      clears: call.clears.slice(clears),
      other: call.other.slice(other),
      playedMs: call.playedMs,
    };
    const changed =
      records.received.length + records.newMarks.length + settledMarks.length + records.clears.length > 0 ||
      records.other.length > 0 ||
      playedMs !== call.playedMs;
    if (!changed) return;
    // New marks already settled are sent as they are; later settling is tracked from here.
    for (let i = marks; i < call.marks.length; i++) {
      const mark = call.marks[i]!;
      if (mark.echoedAt !== undefined || mark.cleared === true) reportedSettled.add(i);
    }
    received = call.received.length;
    marks = call.marks.length;
    clears = call.clears.length;
    other = call.other.length;
    playedMs = call.playedMs;
    send(records);
  };
}
