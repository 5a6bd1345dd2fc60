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
