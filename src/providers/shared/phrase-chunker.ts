/**
 * Groups LLM tokens into whole-word phrases for streaming TTS. Vendors voice text better
 * (and bill fewer messages) when they get complete words with punctuation attached, but
 * waiting for a whole sentence costs latency; so a chunk is released at a sentence end,
 * at a clause boundary once it is long enough, or at any word boundary once it is long.
 */
export interface PhraseChunk {
  text: string;
  /** The chunk ends a sentence: a good place for the vendor's flush. */
  sentenceEnd: boolean;
}

export interface PhraseChunkerOptions {
  /** Release at a comma/semicolon once the chunk has this many characters (default 24). */
  clauseMinChars?: number;
  /** Release at the next word boundary once the chunk has this many characters (default 80). */
  maxChars?: number;
}

const SENTENCE_END = /[.!?…:]["')\]]*$/;
const CLAUSE_END = /[,;—–]["')\]]*$/;

export class PhraseChunker {
  private buffer = '';
  private readonly clauseMin: number;
  private readonly maxChars: number;

  constructor(opts: PhraseChunkerOptions = {}) {
    this.clauseMin = opts.clauseMinChars ?? 24;
    this.maxChars = opts.maxChars ?? 80;
  }

  /** Adds a token; returns the chunks it completes (usually none or one). */
  push(token: string): PhraseChunk[] {
    this.buffer += token;
    const out: PhraseChunk[] = [];
    // Only text followed by whitespace is known to be a complete word.
    for (;;) {
      const chunk = this.takeCompleteChunk();
      if (!chunk) break;
      out.push(chunk);
    }
    return out;
  }

  /** The end of the text: whatever is left, as a sentence end. */
  finish(): PhraseChunk | undefined {
    const text = this.buffer.trim();
    this.buffer = '';
    return text ? { text, sentenceEnd: true } : undefined;
  }

  private takeCompleteChunk(): PhraseChunk | undefined {
    const words = /\S+\s+/g;
    let end = 0;
    let match: RegExpExecArray | null;
    while ((match = words.exec(this.buffer))) {
      end = match.index + match[0].length;
      const candidate = this.buffer.slice(0, end).trim();
      const sentenceEnd = SENTENCE_END.test(candidate);
      if (
        sentenceEnd ||
        (CLAUSE_END.test(candidate) && candidate.length >= this.clauseMin) ||
        candidate.length >= this.maxChars
      ) {
        this.buffer = this.buffer.slice(end);
        return { text: candidate, sentenceEnd };
      }
    }
    return undefined;
  }
}
