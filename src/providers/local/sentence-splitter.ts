/**
 * Cuts text into sentences for per-sentence synthesis, either all at once or incrementally
 * as LLM tokens arrive. A sentence ends at `.`, `!` or `?` (plus closing quotes/brackets)
 * followed by whitespace or by the end of what has arrived so far: waiting for the next
 * token would hold back audio whenever the producer pauses after a sentence. Abbreviations
 * (`Dr.`, `e.g.`) and decimals (`3.` before `14`) are not treated as ends.
 */

const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'approx',
]);
const SPEAKABLE = /[\p{L}\p{N}]/u;

export interface SentenceSplitterOptions {
  /**
   * A sentence longer than this is cut at the last clause mark (`,;:`) or space, so a
   * run-on LLM answer still starts speaking early. Default 240 characters.
   */
  maxChars?: number;
}

export class SentenceSplitter {
  private buffer = '';
  private readonly maxChars: number;

  constructor(opts: SentenceSplitterOptions = {}) {
    this.maxChars = opts.maxChars ?? 240;
  }

  /** Adds text; returns the sentences it completed (trimmed, speakable only). */
  push(text: string): string[] {
    this.buffer += text;
    const out: string[] = [];
    let start = 0;
    const re = /[.!?]+["'”’)\]]*/g;
    for (let m = re.exec(this.buffer); m; m = re.exec(this.buffer)) {
      const end = m.index + m[0].length;
      const after = this.buffer[end];
      if (after !== undefined && !/\s/.test(after)) continue; // "3.14", "e.g.x", "a.m."
      if (after === undefined && /\d$/.test(this.buffer.slice(0, m.index)) && m[0] === '.') continue; // maybe a decimal
      const word = /([\p{L}.]+)$/u.exec(this.buffer.slice(start, m.index))?.[1]?.toLowerCase();
      if (m[0] === '.' && word && ABBREVIATIONS.has(word)) continue;
      this.emit(this.buffer.slice(start, end), out);
      start = end;
    }
    this.buffer = this.buffer.slice(start);
    while (this.buffer.length > this.maxChars) this.cutLongRun(out);
    return out;
  }

  /** The text left over when the input ends (the last, unterminated sentence). */
  flush(): string[] {
    const out: string[] = [];
    this.emit(this.buffer, out);
    this.buffer = '';
    return out;
  }

  private cutLongRun(out: string[]): void {
    const head = this.buffer.slice(0, this.maxChars);
    let cut = Math.max(head.lastIndexOf(','), head.lastIndexOf(';'), head.lastIndexOf(':')) + 1;
    if (cut <= 0) cut = head.lastIndexOf(' ') + 1;
    if (cut <= 0) cut = this.maxChars; // one enormous "word": cut anyway rather than grow forever
    this.emit(this.buffer.slice(0, cut), out);
    this.buffer = this.buffer.slice(cut);
  }

  private emit(sentence: string, out: string[]): void {
    const s = sentence.trim();
    if (SPEAKABLE.test(s)) out.push(s);
  }
}

/** Splits a complete text into sentences. */
export function splitSentences(text: string, opts?: SentenceSplitterOptions): string[] {
  const splitter = new SentenceSplitter(opts);
  return [...splitter.push(text), ...splitter.flush()];
}
