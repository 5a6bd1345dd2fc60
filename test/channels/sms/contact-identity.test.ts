import { describe, expect, it } from 'vitest';
import {
  ContactIdentityResolver,
  normalizeEmail,
  normalizePhoneNumber,
  RoomKit,
} from '../../../src/index.js';
import { RecordingChannel } from '../../helpers/channels.js';
import { silent } from './helpers.js';

describe('phone numbers to E.164', () => {
  it.each([
    ['+1 (555) 010-4242', '+15550104242'],
    ['tel:+44 20 7946 0958', '+442079460958'],
    ['whatsapp:+4915112345678', '+4915112345678'],
    ['0033 6 12 34 56 78', '+33612345678'],
    ['15550104242', '+15550104242'], // Vonage msisdn / WhatsApp wa_id: international digits
    ['+1.555.010.4242', '+15550104242'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizePhoneNumber(input)).toBe(expected);
  });

  it('national numbers need a default country code', () => {
    expect(normalizePhoneNumber('06 12 34 56 78')).toBeUndefined();
    expect(normalizePhoneNumber('06 12 34 56 78', { defaultCountryCode: '33' })).toBe('+33612345678');
    expect(normalizePhoneNumber('(555) 010-4242', { defaultCountryCode: '1' })).toBe('+15550104242');
  });

  it.each(['12345', 'ACME', '+0123456789', '+1234567890123456', 'call me', ''])(
    '%s is not a phone number',
    (input) => {
      expect(normalizePhoneNumber(input)).toBeUndefined();
    },
  );

  it('emails are lower-cased, display names and mailto: dropped', () => {
    expect(normalizeEmail('Ana Lima <Ana.Lima@Example.COM>')).toBe('ana.lima@example.com');
    expect(normalizeEmail('mailto:bob@example.org')).toBe('bob@example.org');
    expect(normalizeEmail('not an address')).toBeUndefined();
  });
});

describe('ContactIdentityResolver', () => {
  it('one participant behind a phone and an email, whatever their spelling', async () => {
    const contacts = new ContactIdentityResolver().link(
      'ana',
      { phone: '+1 555 010 4242', email: 'Ana@Example.com' },
      'Ana',
    );
    expect(await contacts.participantFor('15550104242')).toBe('ana');
    expect(await contacts.participantFor('ana@example.com')).toBe('ana');
    expect(await contacts.participantFor('+15550000000')).toBeUndefined();
    expect(contacts.addressesOf('ana').sort()).toEqual(['+15550104242', 'ana@example.com']);
    expect(
      await contacts.resolve(
        { channelId: 'sms', address: '+15550104242', content: { type: 'text', body: 'x' } },
        { roomId: 'r', channelId: 'sms' },
      ),
    ).toEqual({
      status: 'identified',
      participantId: 'ana',
      displayName: 'Ana',
    });
    contacts.unlink('ana@example.com');
    expect(await contacts.participantFor('ana@example.com')).toBeUndefined();
    expect(() => contacts.link('x', 'not-an-address')).toThrow(/not a phone number or email/);
  });

  it('asks the lookup (a CRM) for unknown addresses and remembers the answer', async () => {
    const asked: string[] = [];
    const contacts = new ContactIdentityResolver({
      lookup: (a) => {
        asked.push(a);
        return a === '+15550104242' ? 'crm-7' : undefined;
      },
    });
    expect(await contacts.participantFor('+1 555 010 4242')).toBe('crm-7');
    expect(await contacts.participantFor('+15550104242')).toBe('crm-7');
    expect(asked).toEqual(['+15550104242']);
  });

  it("routes a known address to the participant's most recent room on any channel, not the channel's only room", async () => {
    const contacts = new ContactIdentityResolver().link('ana', '+15550104242');
    const kit = new RoomKit({ logger: silent, identityResolver: contacts });
    for (const id of ['web', 'sms']) kit.registerChannel(new RecordingChannel(id));
    await kit.createRoom({ roomId: 'old' });
    await kit.createRoom({ roomId: 'chat' });
    await kit.createRoom({ roomId: 'sms-inbox' });
    await kit.attachChannel('sms-inbox', 'sms');
    await kit.sendEvent('old', 'web', { type: 'text', body: 'long ago' }, { senderId: 'ana' });
    // Recency is the rooms' last activity, kept to the millisecond: let one pass.
    await new Promise((r) => setTimeout(r, 5));
    await kit.sendEvent('chat', 'web', { type: 'text', body: 'hi from the web' }, { senderId: 'ana' });
    const result = await kit.processInbound({
      channelId: 'sms',
      senderId: '+15550104242',
      address: '+15550104242',
      content: { type: 'text', body: 'hi by sms' },
    });
    expect(result.event?.roomId).toBe('chat');
    expect(result.event?.source.participantId).toBe('ana');
    expect((await kit.listBindings('chat')).map((b) => b.channelId).sort()).toEqual(['sms', 'web']);
    // An unknown number keeps the router's own rules: the SMS channel is now in two rooms, so a
    // stranger gets a new room, never Ana's.
    const stranger = await kit.processInbound({
      channelId: 'sms',
      senderId: '+15559999999',
      address: '+15559999999',
      content: { type: 'text', body: 'who?' },
    });
    expect(['chat', 'old', 'sms-inbox']).not.toContain(stranger.event?.roomId);
    await kit.close();
  });
});
