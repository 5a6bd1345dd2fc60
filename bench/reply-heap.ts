/**
 * What a voice reply keeps alive while it plays: the turn-burst bench's callers (its pipeline,
 * mocks and socketless WebSocket pacing) end their utterances on one tick, and two heap
 * snapshots are written: `a` just before, `b` `--at` ms after every reply's first frame went
 * out. What is in `b` and younger than `a` is the replies' state (plus the room's events);
 * a scavenge copies it, and a reply outlives two of them, so it is promoted.
 *
 *   node --import tsx bench/reply-heap.ts <dir> [--callers 300] [--at 200]
 *   node --max-old-space-size=8000 --import tsx bench/heap-summary.ts <dir>/b.heapsnapshot --since <dir>/a.heapsnapshot
 *
 * Divide heap-summary's "without code objects" by the callers for bytes a reply (see
 * docs/decisions.md, "What a reply keeps while it plays"). Warm-up rounds run first, each
 * played out, so the JIT and the rooms have settled.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { burstCallers } from './burst-callers.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args.splice(at, 2)[1]) : fallback;
};
const callers = option('--callers', 300);
const atMs = option('--at', 200);
const dir = args[0];
if (!dir) {
  console.error('usage: node --import tsx bench/reply-heap.ts <dir> [--callers 300] [--at 200]');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });

const burst = await burstCallers(callers);
const ROUNDS = 5;
try {
  for (let round = 0; round < ROUNDS; round++) {
    await burst.speakAlmostToTheEnd();
    const measured = round === ROUNDS - 1;
    if (measured) writeHeapSnapshot(join(dir, 'a.heapsnapshot'));
    await burst.endUtterances();
    await burst.repliesStarted();
    await new Promise((r) => setTimeout(r, atMs));
    if (measured) writeHeapSnapshot(join(dir, 'b.heapsnapshot'));
    await burst.kit.waitForIdle();
    await new Promise((r) => setTimeout(r, 1500)); // the replies play out
  }
} finally {
  await burst.kit.close();
}
console.log(
  `${callers} replies, snapshots in ${dir}: node --max-old-space-size=8000 --import tsx bench/heap-summary.ts ${join(dir, 'b.heapsnapshot')} --since ${join(dir, 'a.heapsnapshot')}`,
);
