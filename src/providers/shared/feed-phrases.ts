import { type PhraseChunk, PhraseChunker, type PhraseChunkerOptions } from './phrase-chunker.js';
import type { ProviderLogger } from './provider-logger.js';

export interface PhraseSink {
  /** Still wants text (false once the reply was abandoned or failed). */
  readonly active: boolean;
  send(chunk: PhraseChunk): void;
  /** No more text. */
  end(): void;
}

/**
 * Pulls LLM tokens, sends whole-word phrases as they complete, then ends the reply. A
 * failing text source ends the reply with what was said so far; an abandoned reply stops
 * pulling (and closes the source) at the next token.
 */
export async function feedPhrases(
  text: AsyncIterable<string>,
  sink: PhraseSink,
  opts: { chunking?: PhraseChunkerOptions; signal?: AbortSignal; logger: ProviderLogger },
): Promise<void> {
  const chunker = new PhraseChunker(opts.chunking);
  const it = text[Symbol.asyncIterator]();
  let stopped = false;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      if (opts.signal?.aborted || !sink.active) {
        stopped = true;
        break;
      }
      for (const chunk of chunker.push(r.value)) sink.send(chunk);
    }
    const last = chunker.finish();
    if (last && sink.active) sink.send(last);
  } catch (err) {
    opts.logger.warn({ err: String(err) }, 'text source failed; ending the reply with what was said');
  }
  sink.end();
  if (stopped) await it.return?.();
}
