import type { RoomKitError } from '../../core/errors.js';
import type { AudioConverter } from '../../realtime/audio-converter.js';
import type { RealtimeSocket } from '../shared/realtime-socket.js';

/** Per-connection state of an ElevenLabs agent conversation. */
export class ElevenLabsState {
  /** Audio with an event id at or below this was interrupted: dropped, never played. */
  lastInterruptId = -1;
  lastAudioEventId = -1;
  responding = false;
  userSpeaking = false;
  agentText = '';
  inputEncoding: 'pcm' | 'ulaw' = 'pcm';
  outputEncoding: 'pcm' | 'ulaw' = 'pcm';
  input?: AudioConverter;
  output?: AudioConverter;
  outputRate = 16_000;
  /** Set while connecting: settles the wait for `conversation_initiation_metadata`. */
  onReady?: (err?: RoomKitError) => void;

  constructor(readonly socket: RealtimeSocket) {}

  release(): void {
    this.socket.close(1000, 'User ended conversation');
    this.input?.close();
    this.output?.close();
  }
}
