/**
 * What every SMS carrier must do through SMSChannel, run against its fake: inbound text and
 * MMS, replies, status callbacks (delivered, failed with the carrier's code), the signature
 * matrix (missing, wrong, replayed, stale), STOP/START/HELP and send pacing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SMSChannel } from '../../../src/channels/sms/sms-channel.js';
import type { SMSProvider } from '../../../src/channels/sms/sms-provider.js';
import type { FakeCarrierServer } from '../../../src/testing/fake-carriers/index.js';
import { type SmsRig, smsRig, texts } from './helpers.js';

export interface CarrierSetup<F extends FakeCarrierServer> {
  name: string;
  makeFake(): F;
  makeProvider(fake: F): SMSProvider;
  /** The app's number on the fake. */
  ourNumber(fake: F): string;
  /** Headers that carry the signature (removed for the "missing" case). */
  signatureHeaders: string[];
  /** Make the fake sign with an old timestamp (vendors that sign one). */
  makeStale?(fake: F): void;
  /** The carrier's failure code the fake reports for `undelivered`. */
  failureCode: string;
}

const CALLER = '+15551230002';

export function smsCarrierSuite<F extends FakeCarrierServer>(setup: CarrierSetup<F>): void {
  describe(`SMSChannel over ${setup.name} (conformance)`, () => {
    let fake: F;
    let rig: SmsRig;

    beforeEach(async () => {
      fake = setup.makeFake();
      await fake.start();
      rig = await smsRig(
        () =>
          new SMSChannel('sms', {
            provider: setup.makeProvider(fake),
            rateLimit: { maxPerSecond: 100, burst: 20 },
          }),
      );
      fake.webhookUrl = rig.webhookUrl;
    });
    afterEach(async () => {
      await rig.close();
      await fake.stop();
    });

    it('inbound text becomes a room event; the AI reply goes out from our number', async () => {
      const hook = await fake.receiveMessage({ from: CALLER, text: 'Where is my parcel?' });
      expect(hook.response.status).toBe(200);
      await rig.kit.waitForIdle();
      const events = await rig.kit.store.listEvents('support');
      expect(texts(events)).toEqual(['Where is my parcel?', 'Hello from the agent.']);
      expect(events[0]!.source.participantId).toBe(CALLER);
      expect(fake.sent).toHaveLength(1);
      expect(fake.sent[0]).toMatchObject({
        to: CALLER,
        from: setup.ourNumber(fake),
        text: 'Hello from the agent.',
      });
    });

    it('MMS in is stored in the media store; MMS out carries the media URL', async () => {
      const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
      await fake.receiveMessage({
        from: CALLER,
        text: 'photo',
        media: [{ data: jpeg, contentType: 'image/jpeg' }],
      });
      await rig.kit.waitForIdle();
      const media = (await rig.kit.store.listEvents('support')).find((e) => e.content.type === 'media');
      expect(media?.content).toMatchObject({ type: 'media', mimeType: 'image/jpeg' });
      const url = (media!.content as { url: string }).url;
      const stored = await rig.sms.mediaStore.get(url.slice('roomkit-media:'.length));
      expect(stored?.data.equals(jpeg)).toBe(true);

      await rig.kit.sendEvent('support', 'ai', {
        type: 'media',
        url: 'https://cdn.example.com/a.jpg',
        mimeType: 'image/jpeg',
        caption: 'Your receipt',
      });
      await rig.kit.waitForIdle();
      expect(fake.sent.at(-1)).toMatchObject({
        mediaUrls: ['https://cdn.example.com/a.jpg'],
        text: 'Your receipt',
      });
    });

    it('status callbacks: delivered is recorded, a failure carries the carrier code and fires delivery_failed', async () => {
      const failed: { error: { carrierCode?: string } }[] = [];
      rig.kit.on('delivery_failed', (p) => failed.push(p as never));
      await fake.receiveMessage({ from: CALLER, text: 'hi' });
      await rig.kit.waitForIdle();
      await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'second' });
      await rig.kit.waitForIdle();
      const [first, second] = fake.sent;
      expect((await fake.reportStatus(first!.id, 'delivered')).response.status).toBe(200);
      expect((await fake.reportStatus(second!.id, 'undelivered')).response.status).toBe(200);
      const notices = (await rig.kit.store.listEvents('support')).filter((e) => e.content.type === 'system');
      expect(notices.map((e) => (e.content as { data: object }).data)).toEqual([
        expect.objectContaining({ status: 'delivered', providerMessageId: first!.id, provider: setup.name }),
        expect.objectContaining({
          status: 'undelivered',
          providerMessageId: second!.id,
          errorCode: setup.failureCode,
        }),
      ]);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.error.carrierCode).toBe(setup.failureCode);
    });

    it('missing, wrong, replayed (and stale) signatures get 403 and nothing is stored', async () => {
      const ok = await fake.receiveMessage({ from: CALLER, text: 'genuine text' });
      expect(ok.response.status).toBe(200);
      await rig.kit.waitForIdle();
      const before = await rig.kit.store.countEvents('support');
      const unsigned = { ...ok.headers };
      for (const h of setup.signatureHeaders) delete unsigned[h];
      const tampered = Buffer.from(ok.body.toString().replace('genuine text', 'forged!!!!!!'));
      expect((await fake.post(ok.url, unsigned, ok.body)).response.status).toBe(403);
      expect((await fake.post(ok.url, { ...ok.headers }, tampered)).response.status).toBe(403);
      expect((await fake.replay(ok)).response.status).toBe(403);
      if (setup.makeStale) {
        setup.makeStale(fake);
        expect((await fake.receiveMessage({ from: CALLER, text: 'old news' })).response.status).toBe(403);
      }
      await rig.kit.waitForIdle();
      expect(await rig.kit.store.countEvents('support')).toBe(before);
    });

    it('STOP stops all sends to the number until START; keyword replies follow the carrier', async () => {
      const provider = rig.sms.provider;
      await fake.receiveMessage({ from: CALLER, text: 'hello' });
      await rig.kit.waitForIdle();
      const afterHello = fake.sent.length;
      rig.ai.calls.length = 0;
      await fake.receiveMessage({ from: CALLER, text: 'STOP' });
      await rig.kit.waitForIdle();
      expect(await rig.sms.isOptedOut(CALLER)).toBe(true);
      expect(rig.ai.calls).toHaveLength(0);
      const confirmations = provider.confirmsOptOut ? 0 : 1;
      expect(fake.sent.length - afterHello).toBe(confirmations);
      if (confirmations) expect(fake.sent.at(-1)!.text).toMatch(/unsubscribed/i);
      const afterStop = fake.sent.length;
      await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'a promotion' });
      await rig.kit.waitForIdle();
      expect(fake.sent.length).toBe(afterStop);

      await fake.receiveMessage({ from: CALLER, text: 'HELP' });
      await fake.receiveMessage({ from: CALLER, text: 'start' });
      await rig.kit.waitForIdle();
      expect(await rig.sms.isOptedOut(CALLER)).toBe(false);
      await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'welcome back' });
      await rig.kit.waitForIdle();
      expect(fake.sent.at(-1)!.text).toBe('welcome back');
      expect(fake.sent.some((m) => /Reply STOP/.test(m.text ?? ''))).toBe(!provider.confirmsOptOut);
    });
  });
}
