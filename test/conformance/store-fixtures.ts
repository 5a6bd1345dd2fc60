import { expect } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import type { ChannelBinding, EventContent, Participant, Room, RoomEvent } from '../../src/models/index.js';

/**
 * Builders for the store conformance suites. Deliberately independent of the kit's own event
 * construction, so a kit bug cannot hide a store bug.
 */

let clock = Date.UTC(2024, 0, 1);
/** Strictly increasing ISO timestamps, so creation order is unambiguous. */
export function tick(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export function room(id: string, extra: Partial<Room> = {}): Room {
  const at = tick();
  return { id, status: 'active', metadata: {}, createdAt: at, updatedAt: at, eventCount: 0, ...extra };
}

export function event(roomId: string, index: number, extra: Partial<RoomEvent> = {}): RoomEvent {
  return {
    id: `${roomId}-ev-${index}`,
    roomId,
    type: 'message',
    source: { channelId: 'ws', channelType: 'websocket' },
    content: { type: 'text', body: `message ${index}` },
    status: 'delivered',
    index,
    chainDepth: 0,
    visibility: 'all',
    createdAt: tick(),
    metadata: {},
    ...extra,
  };
}

export function binding(
  roomId: string,
  channelId: string,
  extra: Partial<ChannelBinding> = {},
): ChannelBinding {
  return {
    roomId,
    channelId,
    channelType: 'websocket',
    category: 'transport',
    access: 'read_write',
    muted: false,
    visibility: 'all',
    metadata: {},
    attachedAt: tick(),
    ...extra,
  };
}

export function participant(roomId: string, id: string, extra: Partial<Participant> = {}): Participant {
  return { id, roomId, role: 'member', identified: false, metadata: {}, joinedAt: tick(), ...extra };
}

export const ALL_CONTENT: EventContent[] = [
  { type: 'text', body: 'héllo 👋 "quoted" \\ back', language: 'fr' },
  { type: 'text', body: '' },
  { type: 'rich', body: '**b**', format: 'markdown', plainText: 'b', buttons: [{ id: 'y', label: 'Yes' }] },
  { type: 'rich', body: '<p>x</p>', format: 'html' },
  { type: 'media', url: 'https://x/y.png', mimeType: 'image/png', caption: 'c', filename: 'y.png' },
  { type: 'media', url: 'https://x/z.pdf', mimeType: 'application/pdf' },
  { type: 'audio', url: 'https://x/a.wav', mimeType: 'audio/wav', durationMs: 1234, transcript: 'hi' },
  { type: 'audio' },
  { type: 'location', latitude: 45.5017, longitude: -73.5673, label: 'Montréal' },
  { type: 'location', latitude: -0.000001, longitude: 179.999999 },
  { type: 'system', code: 'joined', body: 'u1 joined', data: { who: ['u1'], n: 1, nested: { ok: true } } },
  { type: 'system', code: 'ping' },
  { type: 'template', templateId: 'welcome', parameters: { name: 'Ana' }, fallbackText: 'Welcome Ana' },
  { type: 'template', templateId: 'bare' },
];

export const NESTED_METADATA = {
  a: { b: { c: [1, 2.5, -3, { d: null }] } },
  flag: false,
  empty: {},
  list: [],
  text: 'line\nbreak\ttab \u0000 nul',
  big: Number.MAX_SAFE_INTEGER,
};

export async function expectValidation(p: Promise<unknown>): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(ValidationError);
}
