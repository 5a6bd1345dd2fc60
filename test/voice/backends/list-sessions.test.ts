/**
 * `listSessions(roomId)` reads one room's calls from an index that follows every way a
 * backend adds or drops a session (connect, disconnect, close).
 */
import { describe, expect, it } from 'vitest';
import { MockVoiceBackend } from '../../../src/voice/index.js';
import { SessionsByRoom } from '../../../src/voice/backends/sessions-by-room.js';
import type { VoiceSession } from '../../../src/voice/types.js';

const ids = (sessions: VoiceSession[]) => sessions.map((s) => s.participantId);

describe('VoiceBackend.listSessions', () => {
  it("lists a room's sessions, oldest first, and forgets the ones that end", async () => {
    const backend = new MockVoiceBackend();
    const a1 = await backend.connect('room-a', 'a1', 'voice');
    await backend.connect('room-b', 'b1', 'voice');
    await backend.connect('room-a', 'a2', 'voice');
    expect(ids(backend.listSessions('room-a'))).toEqual(['a1', 'a2']);
    expect(ids(backend.listSessions('room-b'))).toEqual(['b1']);
    expect(backend.listSessions('room-c')).toEqual([]);

    await backend.disconnect(a1);
    expect(ids(backend.listSessions('room-a'))).toEqual(['a2']);
    // A list is a copy: changing it changes nothing in the backend.
    backend.listSessions('room-a').pop();
    expect(ids(backend.listSessions('room-a'))).toEqual(['a2']);

    await backend.close();
    expect(backend.listSessions('room-a')).toEqual([]);
    expect(backend.listSessions('room-b')).toEqual([]);
  });

  it('keeps the index right when an id is set again, deleted twice or cleared', () => {
    const map = new SessionsByRoom();
    const session = (id: string, roomId: string) => ({ id, roomId, participantId: id }) as VoiceSession;
    map.set('x', session('x', 'r1'));
    map.set('x', session('x', 'r2')); // the same id, now in another room
    expect(ids(map.inRoom('r1'))).toEqual([]);
    expect(ids(map.inRoom('r2'))).toEqual(['x']);
    expect(map.delete('x')).toBe(true);
    expect(map.delete('x')).toBe(false);
    expect(map.inRoom('r2')).toEqual([]);
    map.set('y', session('y', 'r1'));
    map.clear();
    expect(map.inRoom('r1')).toEqual([]);
    expect(map.size).toBe(0);
  });
});
