import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HTTPWebhookChannel,
  ROOMKIT_SIGNATURE_HEADER,
  signWebhookBody,
  verifyWebhookSignature,
} from '../../../src/channels/webhook/index.js';
import { postWebhook } from '../../../src/testing/fake-carriers/index.js';
import { type SmsRig, smsRig } from '../sms/helpers.js';

const SECRET = 'whsec_test_0123456789abcdef';

/** Your integration's endpoint: verifies our signature like an integrator would. */
class Receiver {
  readonly got: { id: string; event: { content: { body?: string } }; verified: boolean }[] = [];
  status = 200;
  private server?: Server;
  url = '';

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        let verified = false;
        try {
          verifyWebhookSignature(SECRET, req.headers[ROOMKIT_SIGNATURE_HEADER] as string, body);
          verified = true;
        } catch {}
        if (this.status === 200) this.got.push({ ...JSON.parse(body.toString()), verified });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }
  async stop() {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

function signed(body: object, opts: { secret?: string; at?: number } = {}) {
  const text = JSON.stringify(body);
  return {
    headers: {
      'content-type': 'application/json',
      [ROOMKIT_SIGNATURE_HEADER]: signWebhookBody(opts.secret ?? SECRET, text, opts.at),
    },
    text,
  };
}

describe('HTTPWebhookChannel: signed JSON both ways', () => {
  let receiver: Receiver;
  let rig: SmsRig<HTTPWebhookChannel>;

  beforeEach(async () => {
    receiver = new Receiver();
    await receiver.start();
    rig = await smsRig(
      () =>
        new HTTPWebhookChannel('crm', {
          url: receiver.url,
          secret: SECRET,
          outbox: { baseDelayMs: 30, maxDelayMs: 100 },
        }),
      { kit: { retryPolicy: { maxRetries: 1, baseDelayMs: 5, jitter: false } } },
    );
  });
  afterEach(async () => {
    await rig.close();
    await receiver.stop();
  });

  const post = (body: object, opts?: { secret?: string; at?: number }) => {
    const { headers, text } = signed(body, opts);
    return postWebhook(rig.webhookUrl, headers, text);
  };

  it('a signed inbound message is stored once; the reply goes out signed', async () => {
    const first = await post({ id: 'msg-1', text: 'ticket #42 updated', senderId: 'crm-bot' });
    expect(first.response.status).toBe(200);
    const answer = JSON.parse(first.response.body);
    expect(answer).toMatchObject({ roomId: 'support', index: 0, blocked: false, duplicate: false });
    await rig.kit.waitForIdle();
    expect(receiver.got).toHaveLength(1);
    expect(receiver.got[0]).toMatchObject({
      verified: true,
      event: { content: { body: 'Hello from the agent.' } },
    });
    // The integrator retries later (a new timestamp, so a new signature): same id, stored once.
    const retry = await post(
      { id: 'msg-1', text: 'ticket #42 updated', senderId: 'crm-bot' },
      { at: Math.floor(Date.now() / 1000) - 2 },
    );
    expect(retry.response.status).toBe(200);
    expect(JSON.parse(retry.response.body)).toMatchObject({ duplicate: true, eventId: answer.eventId });
    expect(await rig.kit.store.countEvents('support')).toBe(2);
  });

  it('missing, wrong, replayed and stale signatures get 403 and nothing is stored', async () => {
    const ok = await post({ id: 'm1', content: { type: 'text', body: 'genuine' } });
    expect(ok.response.status).toBe(200);
    await rig.kit.waitForIdle();
    const before = await rig.kit.store.countEvents('support');
    const { [ROOMKIT_SIGNATURE_HEADER]: _s, ...unsigned } = ok.headers;
    expect((await postWebhook(rig.webhookUrl, unsigned, ok.body)).response.status).toBe(403);
    const tampered = Buffer.from(ok.body.toString().replace('genuine', 'forged!'));
    expect((await postWebhook(rig.webhookUrl, ok.headers, tampered)).response.status).toBe(403);
    expect((await postWebhook(rig.webhookUrl, ok.headers, ok.body)).response.status).toBe(403);
    expect(
      (await post({ id: 'm2', text: 'old' }, { at: Math.floor(Date.now() / 1000) - 3600 })).response.status,
    ).toBe(403);
    expect((await post({ id: 'm3', text: 'other key' }, { secret: 'not-the-secret' })).response.status).toBe(
      403,
    );
    expect(await rig.kit.store.countEvents('support')).toBe(before);
  });

  it('invalid bodies get 400 with nothing stored', async () => {
    expect((await post({ id: 'x', content: { type: 'text' } })).response.status).toBe(400);
    expect((await post({ text: 'no id' })).response.status).toBe(400);
    expect((await post({ id: 'y', text: 'hi', roomId: 'no-such-room' })).response.status).toBe(400);
    expect(
      (await post({ id: 'z', content: { type: 'system', code: 'channel_muted' } })).response.status,
    ).toBe(400);
    expect(await rig.kit.store.countEvents('support')).toBe(0);
  });

  it('a 4xx from the endpoint is final; a 5xx is retried and parked until the endpoint is back', async () => {
    const failures: { code?: string }[] = [];
    rig.kit.on('delivery_failed', (p) => failures.push(p.error as { code?: string }));
    receiver.status = 410;
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'gone?' });
    await rig.kit.waitForIdle();
    expect(failures).toHaveLength(1);
    expect(rig.sms.outbox.size).toBe(0);

    receiver.status = 503;
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'kept' });
    await rig.kit.waitForIdle();
    expect(rig.sms.outbox.size).toBe(1);
    receiver.status = 200;
    await vi.waitFor(() => expect(receiver.got.map((g) => g.event.content.body)).toEqual(['kept']), {
      timeout: 5_000,
      interval: 20,
    });
    expect(receiver.got[0]!.verified).toBe(true);
  });

  it('a rotated secret: inbound verifies with any, outbound signs with the first', async () => {
    await rig.close();
    rig = await smsRig(
      () => new HTTPWebhookChannel('crm', { url: receiver.url, secret: [SECRET, 'old-secret'] }),
    );
    expect(
      (await post({ id: 'r1', text: 'signed with the old one' }, { secret: 'old-secret' })).response.status,
    ).toBe(200);
    await rig.kit.waitForIdle();
    expect(receiver.got.at(-1)?.verified).toBe(true);
  });
});
