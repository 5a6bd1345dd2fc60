/**
 * PostgreSQL cannot hold every JavaScript string: `text` refuses NUL (U+0000), `jsonb` refuses
 * the escape `\u0000`, and lone surrogates (a JS string may hold half a pair) turn into U+FFFD on
 * the way to UTF-8, or are refused in `jsonb`. The memory and SQLite stores keep all of them, and
 * every store must accept and return the same values, so those characters are escaped with a
 * noncharacter as the lead:
 *
 *   U+FDD0      -> U+FDD0 U+FDD0
 *   U+0000      -> U+FDD0 '0'
 *   lone U+DXXX -> U+FDD0 'u' XXXX (lowercase hex)
 *
 * Strings without any of them (all real ones) are stored as they are, so equality lookups and
 * ordering work unchanged; the escape is reversible, and the checks are cheap scans.
 */

const LEAD = '\uFDD0';
const DECODE = /\uFDD0(\uFDD0|0|u[0-9a-f]{4})/g;
/** In JSON text: every escape sequence (so `\\u0000`, an escaped backslash, is skipped whole), and U+FDD0. */
const JSON_ESCAPES = /\\(?:u(?:0000|d[89a-f][0-9a-f]{2})|[\s\S])|\uFDD0/g;

/** A string as PostgreSQL can store it in a `text` column. */
export function encodeText(value: string): string {
  if (!value.includes('\u0000') && !value.includes(LEAD) && (value as WellFormed).isWellFormed())
    return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0) out += `${LEAD}0`;
    else if (c === 0xfdd0) out += LEAD + LEAD;
    else if (c >= 0xd800 && c <= 0xdbff && isLow(value.charCodeAt(i + 1))) {
      out += value[i]! + value[i + 1]!;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += `${LEAD}u${c.toString(16)}`;
    else out += value[i];
  }
  return out;
}

/** The string `encodeText` was given. */
export function decodeText(stored: string): string {
  if (!stored.includes(LEAD)) return stored;
  return stored.replace(DECODE, (_m, code: string) =>
    code === LEAD ? LEAD : code === '0' ? '\u0000' : String.fromCharCode(Number.parseInt(code.slice(1), 16)),
  );
}

/** A nullable text column. */
export function encodeOptional(value: string | undefined): string | null {
  return value === undefined ? null : encodeText(value);
}

/**
 * JSON text for a `jsonb` parameter. Works on the serialised text: JSON.stringify writes NUL and
 * lone surrogates as `\uXXXX` escapes (which `jsonb` refuses) and U+FDD0 as itself.
 */
export function encodeJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!json.includes('\\u') && !json.includes(LEAD)) return json;
  return json.replace(JSON_ESCAPES, (m) => {
    if (m === LEAD) return LEAD + LEAD;
    if (m === '\\u0000') return `${LEAD}0`;
    if (m.length === 6) return `${LEAD}u${m.slice(2)}`;
    return m;
  });
}

/** The value of a `jsonb` column's text (what PostgreSQL sends back for it). */
export function decodeJson(text: string): unknown {
  if (!text.includes(LEAD)) return JSON.parse(text);
  return JSON.parse(
    text.replace(DECODE, (_m, code: string) =>
      code === LEAD ? LEAD : code === '0' ? '\\u0000' : `\\${code}`,
    ),
  );
}

/** ES2024 (Node 20 has it; the project's lib is ES2023). */
type WellFormed = string & { isWellFormed(): boolean };

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
