/**
 * The carrier backends are VoiceBackends like any other: the shared VoiceBackend conformance
 * suite runs against the Vonage one (its L16 is lossless, so audio compares byte for byte),
 * with FakeVonageServer playing the carrier's side over real sockets.
 */
import { VonageMediaStreamBackend } from '../../src/providers/vonage/index.js';
import { type FakeStreamCall, FakeVonageServer } from '../../src/testing/index.js';
import type { VoiceSession } from '../../src/voice/index.js';
import { describeBackendConformance, eventually } from '../conformance/backend.js';
import { memoryLogger } from '../backends/sip/helpers.js';

const fakes = new Map<
  VonageMediaStreamBackend,
  { fake: FakeVonageServer; port: number; room: { next: string } }
>();

describeBackendConformance<VonageMediaStreamBackend>({
  name: 'vonage media stream',
  sampleRates: [16000],
  async create() {
    const fake = new FakeVonageServer();
    await fake.start();
    const room = { next: 'room-a' };
    const backend = new VonageMediaStreamBackend({
      applicationId: fake.applicationId,
      privateKey: fake.voice.privateKey,
      signatureSecret: fake.signatureSecret,
      baseUrl: fake.baseUrl,
      logger: memoryLogger(),
      // Each test call names its room just before it is placed.
      routeCall: () => ({ roomId: room.next }),
    });
    const port = await backend.listen(0);
    fakes.set(backend, { fake, port, room });
    return backend;
  },
  async openClient(backend, { roomId, participantId }) {
    const { fake, port, room } = fakes.get(backend)!;
    room.next = roomId;
    const ready = new Promise<VoiceSession>((resolve) => {
      const off = backend.onSessionReady((s) => {
        if (s.participantId !== participantId) return;
        off();
        resolve(s);
      });
    });
    const placed = await fake.voice.placeCall({
      webhookUrl: `http://127.0.0.1:${port}/carriers/vonage/answer`,
      from: participantId,
    });
    const call: FakeStreamCall = placed.call!;
    const session = await ready;
    return {
      session,
      async sendAudio(pcm) {
        call.socket.send(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      },
      receivedAudio: () => new Uint8Array(call.receivedPcm().buffer),
      clearCount: () => call.clears.length,
      async drop() {
        call.socket.terminate();
        await eventually(() => {
          if (call.isOpen) throw new Error('still open');
        });
      },
    };
  },
  async destroy(backend) {
    const { fake } = fakes.get(backend)!;
    fakes.delete(backend);
    await backend.close();
    await fake.stop();
  },
});
