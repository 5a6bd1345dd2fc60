import type { RealtimeRole } from './provider.js';

/**
 * What a new provider session needs to continue a conversation the old one held: vendors
 * that reconnect without context (ElevenLabs reconfigure, a non-resumable session limit)
 * start blank, so the recent transcript travels in the system prompt.
 */
export class TranscriptLog {
  private readonly lines: { role: RealtimeRole; text: string }[] = [];
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  add(role: RealtimeRole, text: string): void {
    const clean = text.trim();
    if (!clean) return;
    this.lines.push({ role, text: clean });
    this.chars += clean.length;
    // Only the recent part matters for continuing; old turns go first.
    while (this.chars > this.maxChars && this.lines.length > 1) {
      this.chars -= this.lines.shift()!.text.length;
    }
  }

  get isEmpty(): boolean {
    return this.lines.length === 0;
  }

  render(): string {
    return this.lines.map((l) => `${l.role === 'user' ? 'User' : 'Assistant'}: ${l.text}`).join('\n');
  }
}

/** The prompt of a session that picks up a conversation: the instructions, then what was said. */
export function carryOverPrompt(basePrompt: string | undefined, log: TranscriptLog): string | undefined {
  if (log.isEmpty) return basePrompt;
  const history =
    'The conversation so far (continue it; do not greet again or repeat yourself):\n' + log.render();
  return basePrompt ? `${basePrompt}\n\n${history}` : history;
}
