/** What a StreamCallProcess and its child say to each other (Node's advanced IPC serialisation). */
import type {
  FakeClearRecord,
  FakeMarkRecord,
  FakeReceivedMedia,
  FakeStreamCallOptions,
  FakeStreamDialect,
  FakeStreamInfo,
} from './fake-stream-call.js';

/** What picks a dialect on the other side (see dialect-by-name.ts). */
export type DialectName = Pick<FakeStreamDialect, 'carrier' | 'encoding' | 'sampleRate'>;

export function dialectName(dialect: FakeStreamDialect): DialectName {
  return { carrier: dialect.carrier, encoding: dialect.encoding, sampleRate: dialect.sampleRate };
}

export type ToStreamChild =
  | {
      type: 'open';
      dialect: DialectName;
      info: FakeStreamInfo;
      url: string;
      headers: Record<string, string>;
      opts: FakeStreamCallOptions;
    }
  | { type: 'audio'; id: number; audio: Int16Array | Uint8Array; wire: boolean }
  | { type: 'dtmf'; digit: string }
  | { type: 'hangup' };

/** What changed in the child's records since its last report; times on the child's clock. */
export interface StreamRecords {
  type: 'records';
  received: FakeReceivedMedia[];
  newMarks: FakeMarkRecord[];
  /** Marks reported before that were echoed or cleared since, by index. */
  settledMarks: { index: number; echoedAt?: number; cleared?: boolean }[];
  clears: FakeClearRecord[];
  other: unknown[];
  playedMs: number;
}

export type FromStreamChild =
  /** `timeOrigin`: the child's performance.timeOrigin, to put its times on the parent's clock. */
  | { type: 'ready'; timeOrigin: number }
  | { type: 'opened' }
  | { type: 'failed'; message: string }
  | StreamRecords
  | { type: 'sent'; id: number }
  | { type: 'closed'; code: number };
