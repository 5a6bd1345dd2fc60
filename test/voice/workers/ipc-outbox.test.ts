import { describe, expect, it } from 'vitest';
import { type IpcBatch, IpcOutbox } from '../../../src/voice/workers/ipc-outbox.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('IpcOutbox', () => {
  it('sends what one turn posted as one batch, in order, and a lone message as itself', async () => {
    const sent: (number | IpcBatch<number>)[] = [];
    const outbox = new IpcOutbox<number>((m) => sent.push(m));
    outbox.post(1);
    outbox.post(2);
    outbox.post(3);
    expect(sent).toEqual([]);
    await nextTurn();
    expect(sent).toEqual([{ t: 'batch', messages: [1, 2, 3] }]);
    outbox.post(4);
    await nextTurn();
    expect(sent.at(-1)).toBe(4);
    expect(sent).toHaveLength(2);
  });

  it('flush() sends at once, and the scheduled turn then has nothing to send', async () => {
    const sent: (number | IpcBatch<number>)[] = [];
    const outbox = new IpcOutbox<number>((m) => sent.push(m));
    outbox.post(1);
    outbox.post(2);
    outbox.flush();
    expect(sent).toEqual([{ t: 'batch', messages: [1, 2] }]);
    await nextTurn();
    expect(sent).toHaveLength(1);
  });
});
