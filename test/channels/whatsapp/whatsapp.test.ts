import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EphemeralEvent } from '../../../src/index.js';
import { WhatsAppChannel, type WhatsAppChannelOptions } from '../../../src/channels/whatsapp/index.js';
import { WhatsAppCloudProvider } from '../../../src/providers/whatsapp/index.js';
import { FakeWhatsAppServer } from '../../../src/testing/fake-carriers/index.js';
import { type SmsRig, smsRig, texts } from '../sms/helpers.js';

const USER = '+4915112345678';

describe('WhatsAppChannel over the Cloud API (FakeWhatsAppServer)', () => {
  let fake: FakeWhatsAppServer;
  let rig: SmsRig<WhatsAppChannel>;

  async function setup(opts: Partial<WhatsAppChannelOptions> = {}, replies?: string[]) {
    rig = await smsRig(
      () => new WhatsAppChannel('wa', { provider: new WhatsAppCloudProvider(fake.providerOptions), ...opts }),
      { replies },
    );
    fake.webhookUrl = rig.webhookUrl;
  }
  const sent = () => fake.sent.map((m) => m.raw);

  beforeEach(async () => {
    fake = new FakeWhatsAppServer();
    await fake.start();
  });
  afterEach(async () => {
    await rig?.close();
    await fake.stop();
  });

  it('answers the hub.verify_token handshake, and refuses a wrong token', async () => {
    await setup();
    const ok = await fake.verifySubscription();
    expect(ok.response.status).toBe(200);
    expect(ok.url).toContain(`hub.challenge=${ok.response.body}`);
    expect((await fake.verifySubscription('not-the-token')).response.status).toBe(403);
  });

  it('inbound text becomes an event with the profile name; the reply goes out as text and the message is marked read', async () => {
    await setup();
    const hook = await fake.receiveMessage({
      from: USER,
      text: 'Hallo, is the shop open?',
      profileName: 'Jana',
    });
    expect(hook.response.status).toBe(200);
    await rig.kit.waitForIdle();
    const events = await rig.kit.store.listEvents('support');
    expect(texts(events)).toEqual(['Hallo, is the shop open?', 'Hello from the agent.']);
    expect(events[0]!.metadata).toMatchObject({
      contact: USER,
      whatsapp: { profileName: 'Jana', type: 'text' },
    });
    expect(sent()[0]).toMatchObject({
      messaging_product: 'whatsapp',
      to: USER.slice(1),
      type: 'text',
      text: { body: 'Hello from the agent.' },
    });
    const inboundId = (events[0]!.metadata.whatsapp as { providerMessageId: string }).providerMessageId;
    await expect.poll(() => fake.reads).toEqual([inboundId]);
  });

  it('inbound media is downloaded by id into the media store, with its caption', async () => {
    await setup();
    const pdf = Buffer.from('%PDF-1.4 fake invoice');
    await fake.receiveMessage({
      from: USER,
      text: 'my invoice',
      media: [{ data: pdf, contentType: 'application/pdf', filename: 'invoice.pdf' }],
    });
    await rig.kit.waitForIdle();
    const media = (await rig.kit.store.listEvents('support')).find((e) => e.content.type === 'media')!;
    expect(media.content).toMatchObject({
      type: 'media',
      mimeType: 'application/pdf',
      caption: 'my invoice',
      filename: 'invoice.pdf',
    });
    const stored = await rig.sms.mediaStore.get(
      (media.content as { url: string }).url.slice('roomkit-media:'.length),
    );
    expect(stored?.data.equals(pdf)).toBe(true);
  });

  it('rich buttons become reply buttons or a list, with a text fallback past ten; a tapped reply comes back as text', async () => {
    await setup();
    await fake.receiveMessage({ from: USER, text: 'hi' });
    await rig.kit.waitForIdle();
    const choices = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `opt-${i + 1}`, label: `Option number ${i + 1}` }));
    await rig.kit.sendEvent('support', 'ai', {
      type: 'rich',
      format: 'markdown',
      body: 'Pick **one**',
      buttons: choices(2),
    });
    await rig.kit.sendEvent('support', 'ai', {
      type: 'rich',
      format: 'markdown',
      body: 'Pick a slot',
      buttons: choices(5),
    });
    await rig.kit.sendEvent('support', 'ai', {
      type: 'rich',
      format: 'markdown',
      body: 'Pick a store',
      buttons: choices(12),
    });
    await rig.kit.waitForIdle();
    const [buttons, list, fallback] = sent().slice(-3) as Record<string, any>[];
    expect(buttons!.interactive).toMatchObject({ type: 'button', body: { text: 'Pick *one*' } });
    expect(buttons!.interactive.action.buttons.map((b: any) => b.reply)).toEqual([
      { id: 'opt-1', title: 'Option number 1' },
      { id: 'opt-2', title: 'Option number 2' },
    ]);
    expect(list!.interactive.type).toBe('list');
    expect(list!.interactive.action.sections[0].rows).toHaveLength(5);
    expect(fallback!.type).toBe('text');
    expect(fallback!.text.body).toContain('12. Option number 12');

    await fake.receiveReply(USER, { id: 'opt-2', title: 'Option number 2' });
    await rig.kit.waitForIdle();
    const reply = (await rig.kit.store.listEvents('support'))
      .filter((e) => e.source.channelId === 'wa')
      .at(-1)!;
    expect(reply.content).toEqual({ type: 'text', body: 'Option number 2' });
    expect(reply.metadata.whatsapp).toMatchObject({ reply: { id: 'opt-2', title: 'Option number 2' } });
  });

  it('outside the 24-hour window a re-engagement template goes instead of free text', async () => {
    // A 150 ms window stands in for 24 hours.
    await setup({ reengagementTemplate: { name: 'follow_up', language: 'de' }, windowMs: 150 });
    await fake.receiveMessage({ from: USER, text: 'hi' });
    await rig.kit.waitForIdle();
    expect(sent().at(-1)).toMatchObject({ type: 'text' }); // inside the window: free text
    fake.closeWindow(USER);
    await new Promise((r) => setTimeout(r, 200));
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'Your order has shipped.' });
    await rig.kit.waitForIdle();
    expect(sent().at(-1)).toMatchObject({
      type: 'template',
      template: {
        name: 'follow_up',
        language: { code: 'de' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Your order has shipped.' }] }],
      },
    });
  });

  it('with the window closed and no template, the send fails as delivery_failed and nothing is sent', async () => {
    await setup();
    const failures: { error: { code?: string } }[] = [];
    rig.kit.on('delivery_failed', (p) => failures.push(p as never));
    await rig.kit.detachChannel('support', 'wa');
    await rig.kit.attachChannel('support', 'wa', { metadata: { to: USER } });
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'cold outreach' });
    await rig.kit.waitForIdle();
    expect(fake.sent).toHaveLength(0);
    expect(failures.map((f) => f.error.code)).toEqual(['whatsapp_window_closed']);
  });

  it('status webhooks: delivered is recorded, read becomes a read receipt, a failure carries the error code', async () => {
    await setup();
    const ephemeral: EphemeralEvent[] = [];
    rig.kit.subscribeEphemeral('support', (e) => void ephemeral.push(e));
    await fake.receiveMessage({ from: USER, text: 'hi' });
    await rig.kit.waitForIdle();
    const reply = fake.sent[0]!;
    await fake.reportStatus(reply.id, 'delivered');
    await fake.reportStatus(reply.id, 'read');
    await rig.kit.waitForIdle();
    await expect.poll(() => ephemeral.filter((e) => e.type === 'read_receipt').length).toBe(1);
    const receipt = ephemeral.find((e) => e.type === 'read_receipt')!;
    const events = await rig.kit.store.listEvents('support');
    expect(receipt).toMatchObject({ participantId: USER, data: { eventId: events[1]!.id } });
    const notices = events.flatMap((e) => (e.content.type === 'system' ? [e.content.data?.status] : []));
    expect(notices).toEqual(['delivered', 'read']);

    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'again' });
    await rig.kit.waitForIdle();
    const failures: { error: { carrierCode?: string } }[] = [];
    rig.kit.on('delivery_failed', (p) => failures.push(p as never));
    await fake.reportStatus(fake.sent.at(-1)!.id, 'failed', { errorCode: '131026' });
    expect(failures[0]?.error.carrierCode).toBe('131026');
  });

  it('media from our store is uploaded and sent by id; locations go both ways', async () => {
    await setup();
    await fake.receiveLocation(USER, { latitude: 52.52, longitude: 13.405, name: 'Alexanderplatz' });
    await rig.kit.waitForIdle();
    const location = (await rig.kit.store.listEvents('support'))[0]!;
    expect(location.content).toEqual({
      type: 'location',
      latitude: 52.52,
      longitude: 13.405,
      label: 'Alexanderplatz',
    });
    const stored = await rig.sms.mediaStore.put(Buffer.from('PNGDATA'), {
      mimeType: 'image/png',
      filename: 'map.png',
    });
    await rig.kit.sendEvent('support', 'ai', {
      type: 'media',
      url: stored.url,
      mimeType: 'image/png',
      caption: 'Here',
    });
    await rig.kit.sendEvent('support', 'ai', {
      type: 'location',
      latitude: 48.8584,
      longitude: 2.2945,
      label: 'Tour Eiffel',
    });
    await rig.kit.waitForIdle();
    const [image, place] = sent().slice(-2) as Record<string, any>[];
    expect(image!.type).toBe('image');
    expect(image!.image.caption).toBe('Here');
    expect(image!.image.link).toBeUndefined();
    const uploaded = fake.requests.find((r) => r.path.endsWith('/media') && r.method === 'POST');
    expect(uploaded?.body.includes(Buffer.from('PNGDATA'))).toBe(true);
    expect(place).toMatchObject({
      type: 'location',
      location: { latitude: 48.8584, longitude: 2.2945, name: 'Tour Eiffel' },
    });
  });

  it('missing, wrong and replayed signatures get 403 and nothing is stored', async () => {
    await setup();
    const ok = await fake.receiveMessage({ from: USER, text: 'genuine text' });
    expect(ok.response.status).toBe(200);
    await rig.kit.waitForIdle();
    const before = await rig.kit.store.countEvents('support');
    const { 'x-hub-signature-256': _sig, ...unsigned } = ok.headers;
    expect((await fake.post(ok.url, unsigned, ok.body)).response.status).toBe(403);
    const tampered = Buffer.from(ok.body.toString().replace('genuine text', 'forged!!!!!!'));
    expect((await fake.post(ok.url, ok.headers, tampered)).response.status).toBe(403);
    expect((await fake.replay(ok)).response.status).toBe(403);
    expect(await rig.kit.store.countEvents('support')).toBe(before);
  });
});
