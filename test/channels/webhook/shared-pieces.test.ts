import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  DiskMediaStore,
  MemoryMediaStore,
  mediaIdOf,
  Outbox,
} from '../../../src/channels/messaging/index.js';
import { ProviderError, RoomKitError, type RoomEvent } from '../../../src/index.js';
import { encodeMultipart, parseFormBody } from '../../../src/providers/shared/form-body.js';
import { WebhookAuthError } from '../../../src/providers/shared/webhook-request.js';
import { ReplayGuard } from '../../../src/providers/shared/webhook-signature.js';

describe('form bodies', () => {
  it('urlencoded keeps repeated fields in order', () => {
    const { fields } = parseFormBody(
      Buffer.from('MediaUrl=a&Body=hi+there&MediaUrl=b&e=%F0%9F%98%80'),
      'application/x-www-form-urlencoded',
    );
    expect(fields).toEqual({ MediaUrl: ['a', 'b'], Body: 'hi there', e: '😀' });
  });

  it('multipart round-trips fields and binary files, quoted and RFC 5987 names included', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    const { body, contentType } = encodeMultipart({ text: 'line 1\r\nline 2', empty: '' }, [
      { field: 'attachment1', filename: 'a "b".png', contentType: 'image/png', data: png },
    ]);
    const parsed = parseFormBody(body, contentType);
    expect(parsed.fields).toEqual({ text: 'line 1\r\nline 2', empty: '' });
    expect(parsed.files[0]!.data.equals(png)).toBe(true);
    expect(parsed.files[0]!.contentType).toBe('image/png');
    const ext = Buffer.from(
      `--b\r\nContent-Disposition: form-data; name="f"; filename*=utf-8''na%C3%AFve.txt\r\n\r\nx\r\n--b--\r\n`,
    );
    expect(parseFormBody(ext, 'multipart/form-data; boundary="b"').files[0]!.filename).toBe('naïve.txt');
  });

  it('a truncated or boundary-less multipart body is a payload error, not a crash', () => {
    expect(() =>
      parseFormBody(
        Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nno end'),
        'multipart/form-data; boundary=b',
      ),
    ).toThrow(/truncated/);
    expect(() => parseFormBody(Buffer.from('x'), 'multipart/form-data')).toThrow(/boundary/);
  });
});

describe('ReplayGuard', () => {
  it('refuses a copy once handled, a parallel copy while handling, and forgets a failure', () => {
    const guard = new ReplayGuard();
    const first = guard.claim('t', 'k1', false);
    expect(() => guard.claim('t', 'k1', false)).toThrow(WebhookAuthError);
    first.release();
    const retry = guard.claim('t', 'k1', false);
    retry.commit();
    expect(() => guard.claim('t', 'k1', false)).toThrow(/replayed/);
  });

  it('refuses stale timestamps either side of the window and forgets expired keys', () => {
    let now = 1_000_000;
    const guard = new ReplayGuard({ toleranceMs: 1_000, now: () => now });
    expect(() => guard.checkFresh('t', now - 1_500)).toThrow(/stale/);
    expect(() => guard.checkFresh('t', now + 1_500)).toThrow(/stale/);
    guard.checkFresh('t', now - 500);
    guard.claim('t', 'k', true).commit();
    now += 5_000;
    guard.claim('t', 'k', true).commit(); // past twice the window: a copy would be stale anyway
    expect(guard.size).toBe(1);
  });

  it('stays bounded', () => {
    const guard = new ReplayGuard({ maxEntries: 10 });
    for (let i = 0; i < 50; i++) guard.claim('t', `k${i}`, false).commit();
    expect(guard.size).toBe(10);
  });
});

describe('media stores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rk-media-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('memory: bounded by bytes, oldest out; URLs name the store id', async () => {
    const store = new MemoryMediaStore({ maxBytes: 10, publicBaseUrl: 'https://bot.example.com/' });
    const a = await store.put(Buffer.alloc(6), { mimeType: 'image/png' });
    const b = await store.put(Buffer.alloc(6), { mimeType: 'image/png' });
    expect(a.url).toBe(`https://bot.example.com/media/${a.id}`);
    expect(mediaIdOf(b.url)).toBe(b.id);
    expect(await store.get(a.id)).toBeUndefined();
    expect((await store.get(b.id))?.data.length).toBe(6);
  });

  it('disk: survives a new instance, refuses ids that are not ours', async () => {
    const stored = await new DiskMediaStore({ dir }).put(Buffer.from('hello'), {
      mimeType: 'text/plain',
      filename: 'h.txt',
    });
    expect(stored.url).toBe(`roomkit-media:${stored.id}`);
    const again = await new DiskMediaStore({ dir }).get(stored.id);
    expect(again).toMatchObject({ mimeType: 'text/plain', filename: 'h.txt' });
    expect(again?.data.toString()).toBe('hello');
    expect(await new DiskMediaStore({ dir }).get('../../etc/passwd')).toBeUndefined();
  });
});

describe('Outbox', () => {
  const event = (id: string) => ({ id, roomId: 'r' }) as RoomEvent;

  it('resends parked messages in order once the provider answers, and drops what is rejected for good', async () => {
    let down = true;
    const sent: string[] = [];
    const dropped: string[] = [];
    const outbox = new Outbox({
      baseDelayMs: 10,
      maxDelayMs: 40,
      send: async (item) => {
        if (down) throw new ProviderError('x', 'down', { status: 503 });
        if (item.event.id === 'bad') throw new RoomKitError('invalid number', { code: 'invalid' });
        sent.push(item.event.id);
      },
      onDrop: (item, reason) => dropped.push(`${item.event.id}:${reason}`),
    });
    for (const id of ['a', 'bad', 'b', 'a']) outbox.park(event(id), '+1555');
    expect(outbox.size).toBe(3);
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toEqual([]);
    down = false;
    await vi.waitFor(() => expect(outbox.size).toBe(0), { timeout: 2_000, interval: 10 });
    expect(sent).toEqual(['a', 'b']);
    expect(dropped).toEqual(['bad:rejected']);
    outbox.close();
  });

  it('is bounded: past maxParked the oldest is dropped', () => {
    const dropped: string[] = [];
    const outbox = new Outbox({
      maxParked: 2,
      send: async () => {},
      onDrop: (item, reason) => dropped.push(`${item.event.id}:${reason}`),
    });
    for (const id of ['1', '2', '3']) outbox.park(event(id), 'x');
    expect(outbox.pending().map((p) => p.event.id)).toEqual(['2', '3']);
    expect(dropped).toEqual(['1:outbox_full']);
    outbox.close();
    expect(dropped).toEqual(['1:outbox_full', '2:closed', '3:closed']);
  });
});
