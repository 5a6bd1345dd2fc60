import type { AIProvider, AIRequest, AIResponse, AIStreamPart } from '../ai/types.js';

/**
 * The agent `roomkit serve` runs when no API key is set: a few honest rules, no model.
 * It says what it is, so nobody mistakes it for an LLM.
 */
export class LocalAgentProvider implements AIProvider {
  readonly name = 'local-rules';
  readonly model = 'rule-based';
  readonly supportsStreaming = true;

  async generate(request: AIRequest): Promise<AIResponse> {
    return { text: this.answer(request), toolCalls: [], finishReason: 'stop' };
  }

  async *stream(request: AIRequest): AsyncIterable<AIStreamPart> {
    for (const word of this.answer(request).split(/(?<= )/)) yield { type: 'text-delta', text: word };
    yield { type: 'finish', finishReason: 'stop' };
  }

  private answer(request: AIRequest): string {
    const last = [...request.messages].reverse().find((m) => m.role === 'user');
    const said = (last?.content ?? '').trim();
    const lower = said.toLowerCase();
    const turns = request.messages.filter((m) => m.role === 'user').length;
    if (/^(hi|hello|hey|bonjour|good (morning|afternoon|evening))\b/.test(lower)) {
      return 'Hello! I am the local rule-based agent of roomkit serve (no API key is set, so no LLM is answering).';
    }
    if (/\b(time|date|today)\b/.test(lower)) return `It is ${new Date().toUTCString()}.`;
    if (/\b(help|what can you do|who are you)\b/.test(lower)) {
      return 'I am a rule-based stand-in. Set ANTHROPIC_API_KEY or OPENAI_API_KEY and restart to talk to a real model.';
    }
    if (/\b(bye|goodbye|see you)\b/.test(lower)) return 'Goodbye!';
    if (lower.endsWith('?')) return `Good question. Without an LLM I can only say that you asked: "${said}"`;
    return `You said: "${said}". That makes ${turns} message${turns === 1 ? '' : 's'} from you in this room.`;
  }
}
