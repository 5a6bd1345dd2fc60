/**
 * Issue 12, acceptance 1 (the seed's story): a caller talks to the AI in a room, the call
 * drops, the caller texts from the same number through (fake) Twilio, the SMS lands in the
 * same room and the AI answers by SMS with the call's transcript in its context.
 */
import { afterEach, expect, it } from 'vitest';
import { AIChannel, ChannelCategory, ContactIdentityResolver, RoomKit, SMSChannel } from '../../src/index.js';
import { TwilioSMSProvider } from '../../src/providers/twilio/index.js';
import {
  FakeTwilioServer,
  MockAIProvider,
  MockSTTProvider,
  MockTTSProvider,
  MockVoiceBackend,
} from '../../src/testing/index.js';
import { EnergyVADProvider, VoiceChannel } from '../../src/voice/index.js';
import { listenWebhooks } from '../../src/channels/messaging/index.js';
import { say, silent, until } from '../voice/channel/helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

it('a dropped call continues over SMS in the same room, with the call in the AI context', async () => {
  const twilio = new FakeTwilioServer({ phoneNumber: '+15005550006' });
  await twilio.start();
  cleanup.push(() => twilio.stop());

  const contacts = new ContactIdentityResolver();
  const kit = new RoomKit({ logger: silent, identityResolver: contacts });
  cleanup.push(() => kit.close());
  contacts.observe(kit);

  const ai = new MockAIProvider({
    responses: ['Sure. What is the new address?', 'Done: 12 Rue de Rivoli is your new address.'],
  });
  const backend = new MockVoiceBackend({ playbackRealtime: false });
  const tts = new MockTTSProvider();
  kit.registerChannel(
    new VoiceChannel('phone', {
      stt: new MockSTTProvider({ transcripts: ['I need to change my delivery address'] }),
      tts,
      backend,
      pipeline: { vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 200 }) },
    }),
  );
  kit.registerChannel(new AIChannel('claude', { provider: ai }));
  const sms = new SMSChannel('sms-fallback', { provider: new TwilioSMSProvider(twilio.providerOptions) });
  kit.registerChannel(sms);
  const hooks = await listenWebhooks([sms]);
  cleanup.push(() => hooks.close());
  twilio.webhookUrl = `${hooks.url}${sms.webhookPath}`;

  // Two conversations with the SMS channel attached (as the seed attaches it), so routing by
  // channel alone would be ambiguous: only the caller's number can pick the right room.
  for (const roomId of ['conversation-1', 'conversation-2']) {
    await kit.createRoom({ roomId });
    await kit.attachChannel(roomId, 'claude', { category: ChannelCategory.INTELLIGENCE });
    await kit.attachChannel(roomId, 'sms-fallback');
  }
  await kit.addParticipant('conversation-2', { id: 'someone-else', channelId: 'sms-fallback' });

  // The call: the caller's number arrives in the session metadata, as a carrier backend puts it.
  const call = await kit.connectVoice('conversation-1', 'caller-42', 'phone', {
    metadata: { from: '+1 (555) 010-4242' },
  });
  await say(backend, call, 12);
  await until(() => expect(tts.calls.map((c) => c.text)).toContain('Sure. What is the new address?'), 15_000);
  await kit.waitForIdle();
  expect(twilio.sent).toHaveLength(0); // nobody has texted yet: SMS stays quiet during the call

  // The call drops.
  await backend.simulateClientDisconnected(call);

  // The caller texts from the same number.
  const hook = await twilio.receiveMessage({
    from: '+15550104242',
    text: 'Sorry, the call dropped. It is 12 Rue de Rivoli.',
  });
  expect(hook.response.status).toBe(200);
  await kit.waitForIdle();

  const timeline = await kit.store.listEvents('conversation-1');
  const said = timeline.map((e) => [
    e.source.channelId,
    e.source.participantId ?? '',
    e.content.type === 'text' ? e.content.body : e.content.type,
  ]);
  expect(said).toEqual([
    ['phone', 'caller-42', 'I need to change my delivery address'],
    ['claude', '', 'Sure. What is the new address?'],
    ['sms-fallback', 'caller-42', 'Sorry, the call dropped. It is 12 Rue de Rivoli.'],
    ['claude', '', 'Done: 12 Rue de Rivoli is your new address.'],
  ]);
  expect(await kit.store.countEvents('conversation-2')).toBe(0);
  expect((await kit.listRooms()).map((r) => r.id).sort()).toEqual(['conversation-1', 'conversation-2']);

  // The AI answered by SMS, to the caller's number, from ours.
  expect(twilio.sent).toHaveLength(1);
  expect(twilio.sent[0]).toMatchObject({
    to: '+15550104242',
    from: '+15005550006',
    text: 'Done: 12 Rue de Rivoli is your new address.',
  });

  // ...with the call's transcript in its context.
  const context = ai.calls.at(-1)!.messages.map((m) => `${m.role}: ${m.content}`);
  expect(context).toEqual([
    'user: I need to change my delivery address',
    'assistant: Sure. What is the new address?',
    'user: Sorry, the call dropped. It is 12 Rue de Rivoli.',
  ]);
});
