/**
 * Referee: `@elevenlabs/elevenlabs-js`'s Agents client (its beta `Conversation`, with a signed
 * URL fetched by ElevenLabsClient) against FakeElevenLabsConvaiServer. One conversation:
 * 16 kHz audio in, the user transcript, a client tool call and its result, agent audio out,
 * barge-in (`interruption`, late audio dropped by the SDK), a multimodal message, a
 * contextual update, user activity; then our ElevenLabsRealtimeProvider, whose messages must
 * fit the SDK's client event types and its initiation schema.
 */
import { ElevenLabs, ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import {
  AudioInterface,
  ClientTools,
  Conversation,
} from '@elevenlabs/elevenlabs-js/api/resources/conversationalAi/conversation/index.js';
import * as serialization from '@elevenlabs/elevenlabs-js/serialization/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElevenLabsRealtimeConfig } from '../../src/providers/elevenlabs/realtime-config.js';
import { ElevenLabsRealtimeProvider } from '../../src/providers/elevenlabs/realtime-provider.js';
import { FakeElevenLabsConvaiServer, silence, tone } from '../../src/testing/fake-realtime/index.js';
import { baseConfig, EventLog, recordingLogger } from '../conformance/realtime-provider.js';
import { until, weatherTurns } from './flows.js';
import { shapeProblems, TYPE_CHECK_TIMEOUT } from './shape-check.js';

const KEY = 'xi-referee-key';
const AGENT = 'agent_referee';
const CLIENT_EVENT_MODULE = '@elevenlabs/elevenlabs-js/api/resources/conversationalAi/conversation/events.js';
const CLIENT_EVENT_TYPE = 'T.ClientToOrchestratorEventUnion | T.UserAudioChunkEvent';
/** Every event type the Agents API sends to clients, as the SDK lists them. */
const SERVER_EVENT_TYPES = new Set<string>(Object.values(ElevenLabs.ClientEvent));

/** The microphone and speaker of the SDK's conversation, driven by the test. */
class TestAudio extends AudioInterface {
  readonly played: Buffer[] = [];
  interruptions = 0;
  private mic?: (audio: Buffer) => void;

  start(inputCallback: (audio: Buffer) => void): void {
    this.mic = inputCallback;
  }
  stop(): void {
    this.mic = undefined;
  }
  output(audio: Buffer): void {
    this.played.push(audio);
  }
  interrupt(): void {
    this.interruptions += 1;
  }
  speak(ms: number): void {
    for (const pcm of [tone(ms, 16_000), silence(200, 16_000)])
      this.mic?.(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }
}

describe(
  '@elevenlabs/elevenlabs-js Agents client referees FakeElevenLabsConvaiServer',
  TYPE_CHECK_TIMEOUT,
  () => {
    const fake = new FakeElevenLabsConvaiServer({ apiKey: KEY, agentId: AGENT, requireAuth: true });

    beforeAll(() => fake.start());
    afterAll(() => fake.close());

    it('runs a conversation with a client tool, a barge-in and a multimodal message', async () => {
      fake.queueTurn(...weatherTurns('tool_paris'), { reply: { text: 'I see the picture.' } });
      const audio = new TestAudio();
      const tools = new ClientTools();
      const toolCalls: Record<string, unknown>[] = [];
      tools.register('get_weather', (params) => {
        toolCalls.push(params);
        return 'sunny, 24 C';
      });
      const transcripts: string[] = [];
      const answers: string[] = [];
      const corrections: string[] = [];
      const received: Record<string, any>[] = [];
      const errors: unknown[] = [];
      const conversation = new Conversation({
        // The signed URL comes from the REST client, pointed at the fake.
        conversationClient: new ElevenLabsClient({ apiKey: KEY, baseUrl: fake.httpUrl }),
        agentId: AGENT,
        requiresAuth: true,
        audioInterface: audio,
        clientTools: tools,
        callbackUserTranscript: (t) => transcripts.push(t),
        callbackAgentResponse: (t) => answers.push(t),
        callbackAgentResponseCorrection: (_original, corrected) => corrections.push(corrected),
        callbackMessageReceived: (m) => received.push(m),
      });
      conversation.on('error', (e) => errors.push(e));
      await conversation.startSession();
      try {
        await until(() => conversation.getConversationId() !== undefined, 'conversation started');
        expect(fake.connections[0].url.searchParams.get('conversation_signature')).toMatch(/^sig_/);

        audio.speak(400);
        await until(() => transcripts.includes('What is the weather in Paris?'), 'user transcript');
        await until(() => answers.includes('It is sunny in Paris today.'), 'agent answer after the tool');
        expect(toolCalls).toEqual([{ tool_call_id: 'tool_paris', city: 'Paris' }]);
        await until(() => audio.played.length === 2, 'two chunks of the answer played');

        audio.speak(300);
        await until(() => audio.interruptions === 1, 'interruption');
        await until(() => corrections.length === 1, 'correction of the cut answer');
        await until(() => answers.includes('You are welcome.'), 'answer to the second turn');
        // The fake sends one chunk of the cut answer after the interruption: the SDK must drop it.
        const sentAudio = () => fake.connections[0].sent.filter((m) => m.message.type === 'audio').length;
        await until(() => sentAudio() === audio.played.length + 1, 'every chunk played but the late one');

        conversation.sendMultimodalMessage({ text: 'What do you see?', fileIds: ['file_123'] });
        await until(() => answers.includes('I see the picture.'), 'answer to the multimodal message');
        conversation.sendContextualUpdate('The user opened the map.');
        conversation.registerUserActivity();
        const pingId = fake.ping(fake.connections[0]);
        await until(() => fake.pongs(fake.connections[0]).includes(pingId), 'pong');
      } finally {
        conversation.endSession();
      }

      expect(errors).toEqual([]);
      const sent = fake.connections[0].sent.map((s) => s.message);
      expect(sent.filter((m) => !SERVER_EVENT_TYPES.has(m.type)).map((m) => m.type)).toEqual([]);
      const clientMessages = fake.connections[0].messages();
      expect(clientMessages.filter((m) => m.type === 'pong')).toEqual([{ type: 'pong', event_id: 1 }]);
      expect(clientMessages.filter((m) => m.type === 'multimodal_message')).toHaveLength(1);
      expect(
        shapeProblems([
          {
            label: 'SDK -> fake: client events',
            from: CLIENT_EVENT_MODULE,
            type: CLIENT_EVENT_TYPE,
            enumsAsStrings: true,
            // The SDK echoes the ping's integer event_id in its pong, as the API documents it,
            // although its PongEvent type says string: pongs are checked on their own below.
            values: clientMessages.filter((m) => m.type !== 'pong'),
          },
        ]),
      ).toEqual([]);
    });

    it('our ElevenLabsRealtimeProvider sends client events of the SDK types and a valid initiation', async () => {
      fake.queueTurn({
        userTranscript: 'Weather?',
        toolCall: { name: 'get_weather', arguments: { city: 'Oslo' }, callId: 'tool_oslo' },
        afterToolResult: { text: 'Cold.' },
      });
      const provider = new ElevenLabsRealtimeProvider(
        ElevenLabsRealtimeConfig({
          apiKey: KEY,
          agentId: AGENT,
          baseUrl: fake.url,
          logger: recordingLogger(),
        }),
      );
      const log = new EventLog(provider);
      const first = fake.connections.length;
      const session = await provider.connect({ ...baseConfig, voice: '21m00Tcm4TlvDq8ikWAM' });
      provider.sendAudio(session, tone(300, 16_000));
      provider.sendAudio(session, silence(300, 16_000));
      const call = await log.next('toolCall');
      await provider.submitToolResult(session, call.callId, '{"t":-3}');
      await log.next('transcription', (t) => t.role === 'assistant' && t.isFinal);
      await provider.sendText(session, 'And tomorrow?');
      await log.next('transcription', (t) => t.role === 'assistant' && t.isFinal, { count: 2 });
      await provider.disconnect(session);
      const messages = fake.connections[first].messages();
      const [initiation, ...rest] = messages;
      expect(log.of('error')).toEqual([]);
      // The initiation as the API documents it (the SDK's own schema, unknown keys refused).
      const { type, ...payload } = initiation;
      expect(type).toBe('conversation_initiation_client_data');
      expect(
        serialization.ConversationInitiationClientDataRequestInput.parse(payload, {
          unrecognizedObjectKeys: 'fail',
        }),
      ).toMatchObject({ ok: true });
      expect(
        shapeProblems([
          {
            label: 'ElevenLabsRealtimeProvider -> fake: client events',
            from: CLIENT_EVENT_MODULE,
            type: CLIENT_EVENT_TYPE,
            enumsAsStrings: true,
            values: rest,
          },
        ]),
      ).toEqual([]);
    });
  },
);
