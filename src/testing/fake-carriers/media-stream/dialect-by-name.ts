/**
 * A stream dialect rebuilt from plain data, for a fake stream in another process (a dialect is
 * functions, which do not cross a process boundary; carrier, encoding and rate pick it). Only
 * the child imports it: the carriers' voice classes import the parent's side.
 */
import { exotelDialect } from './fake-exotel-voice.js';
import { plivoDialect } from './fake-plivo-voice.js';
import type { FakeStreamDialect } from './fake-stream-call.js';
import type { DialectName } from './stream-call-messages.js';
import { telnyxDialect } from './fake-telnyx-voice.js';
import { twilioDialect } from './fake-twilio-voice.js';
import { vonageDialect } from './fake-vonage-voice.js';

export function dialectByName(name: DialectName): FakeStreamDialect {
  const rate = name.sampleRate === 8000 ? 8000 : 16000;
  const dialect = (() => {
    switch (name.carrier) {
      case 'twilio':
        return twilioDialect;
      case 'plivo':
        return plivoDialect;
      case 'telnyx':
        return telnyxDialect(name.encoding === 'l16be' ? 'L16' : 'PCMU');
      case 'vonage':
        return vonageDialect(rate);
      case 'exotel':
        return exotelDialect(rate);
      default:
        throw new Error(`no fake stream dialect for carrier ${name.carrier}`);
    }
  })();
  if (dialect.encoding !== name.encoding || dialect.sampleRate !== name.sampleRate)
    throw new Error(`no ${name.carrier} dialect with ${name.encoding} at ${name.sampleRate} Hz`);
  return dialect;
}
