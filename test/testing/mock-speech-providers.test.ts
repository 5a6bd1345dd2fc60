import { describe, expect, it } from 'vitest';
import { MockAIProvider } from '../../src/testing/mock-ai-provider.js';
import { MockSTTProvider } from '../../src/testing/mock-stt-provider.js';
import { MockTTSProvider } from '../../src/testing/mock-tts-provider.js';
import { describeSTTConformance } from '../conformance/stt.js';
import { describeTTSConformance } from '../conformance/tts.js';

const frames = Array.from({ length: 12 }, () => ({
  data: new Int16Array(320),
  sampleRate: 16_000,
  channels: 1,
}));

describeSTTConformance({
  name: 'MockSTTProvider',
  create: () => new MockSTTProvider({ transcripts: ['book a table for two'], framesPerTranscript: 6 }),
  audio: () => frames,
  expectedText: 'book a table for two',
  minWordOverlap: 1,
});

describeTTSConformance({
  name: 'MockTTSProvider',
  create: () => new MockTTSProvider({ voice: 'test', sampleRate: 24_000 }),
  text: 'Hello there. How can I help you today?',
});

describe('mock providers without a call log (recordCalls: false)', () => {
  it('work as before and keep no call, where the default keeps each one', async () => {
    const quiet = { data: new Int16Array(16_000), sampleRate: 16_000, channels: 1 };
    for (const recordCalls of [true, false]) {
      const stt = new MockSTTProvider({ transcripts: ['hi'], recordCalls });
      const tts = new MockTTSProvider({ recordCalls });
      const ai = new MockAIProvider({ responses: ['hello'], recordCalls });
      expect((await stt.transcribe(quiet)).text).toBe('hi');
      const chunks = [];
      for await (const chunk of tts.synthesizeStream('some words')) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(0);
      expect((await ai.generate({ messages: [{ role: 'user', content: 'hey' }] })).text).toBe('hello');
      const kept = recordCalls ? 1 : 0;
      expect([stt.calls.length, tts.calls.length, ai.calls.length]).toEqual([kept, kept, kept]);
    }
  });
});
