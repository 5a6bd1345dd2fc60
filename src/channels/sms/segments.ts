/**
 * SMS length is counted in segments, not characters. Text that fits the GSM-7 alphabet packs
 * 160 characters in one message (153 per part once concatenated, the rest is the UDH);
 * anything else goes as UCS-2: 70 per message, 67 per part. GSM-7 extension characters
 * (`{ } [ ] ~ \ | ^ €`) take two septets. One emoji turns the whole message into UCS-2.
 */

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '^{}\\[~]|€\f';

const BASIC = new Set(GSM7_BASIC);
const EXTENDED = new Set(GSM7_EXTENDED);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegmentInfo {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
  /** Units that fit one part at this length (160/153 for GSM-7, 70/67 for UCS-2). */
  perSegment: number;
}

export function smsEncoding(text: string): SmsEncoding {
  for (const ch of text) if (!BASIC.has(ch) && !EXTENDED.has(ch)) return 'UCS-2';
  return 'GSM-7';
}

function unitsOf(text: string, encoding: SmsEncoding): number {
  if (encoding === 'UCS-2') return text.length;
  let n = 0;
  for (const ch of text) n += EXTENDED.has(ch) ? 2 : 1;
  return n;
}

export function smsSegments(text: string): SmsSegmentInfo {
  const encoding = smsEncoding(text);
  const units = unitsOf(text, encoding);
  const single = encoding === 'GSM-7' ? 160 : 70;
  const multi = encoding === 'GSM-7' ? 153 : 67;
  if (units <= single) return { encoding, units, segments: units === 0 ? 0 : 1, perSegment: single };
  return { encoding, units, segments: Math.ceil(units / multi), perSegment: multi };
}

/** The most units `segments` parts carry in this encoding. */
export function maxUnits(encoding: SmsEncoding, segments: number): number {
  if (segments <= 1) return encoding === 'GSM-7' ? 160 : 70;
  return segments * (encoding === 'GSM-7' ? 153 : 67);
}

/**
 * Cut `text` to at most `maxSegments` parts, on a word boundary when one is near, ending with
 * an ellipsis in the text's own alphabet ('...' keeps GSM-7 text GSM-7; '…' would make it
 * UCS-2 and halve what fits). Text that already fits comes back unchanged.
 */
export function fitSmsSegments(text: string, maxSegments: number): string {
  const info = smsSegments(text);
  if (info.segments <= maxSegments) return text;
  const ellipsis = info.encoding === 'GSM-7' ? '...' : '…';
  const budget = maxUnits(info.encoding, maxSegments) - unitsOf(ellipsis, info.encoding);
  // Walk by code point so a surrogate pair (emoji) is never split.
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const cost = unitsOf(ch, info.encoding);
    if (used + cost > budget) break;
    used += cost;
    end += ch.length;
  }
  const cut = text.slice(0, end);
  const space = cut.lastIndexOf(' ');
  return `${(space > cut.length * 0.8 ? cut.slice(0, space) : cut).trimEnd()}${ellipsis}`;
}
