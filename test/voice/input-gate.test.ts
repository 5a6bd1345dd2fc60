import { describe, expect, it } from 'vitest';
import { RoomKit } from '../../src/core/roomkit.js';
import { bindingsChanged } from '../../src/core/binding-changes.js';
import { Access, type ChannelBinding, ChannelCategory } from '../../src/models/index.js';
import { InputGate } from '../../src/voice/session-hooks.js';

const binding = (patch: Partial<ChannelBinding> = {}): ChannelBinding =>
  ({ roomId: 'r', channelId: 'voice', access: Access.READ_WRITE, muted: false, ...patch }) as ChannelBinding;

describe('InputGate', () => {
  it('reads the binding once, then again only after a binding changed', () => {
    let current: ChannelBinding | undefined = binding();
    let reads = 0;
    const source = {
      peekBinding: (roomId: string, channelId: string) => {
        reads++;
        expect([roomId, channelId]).toEqual(['r', 'voice']);
        return current;
      },
    };
    const gate = new InputGate('r');
    for (let i = 0; i < 50; i++) expect(gate.allows(source, 'voice')).toBe(true);
    expect(reads).toBe(1);
    current = binding({ muted: true });
    bindingsChanged();
    expect(gate.allows(source, 'voice')).toBe(false);
    expect(gate.allows(source, 'voice')).toBe(false);
    expect(reads).toBe(2);
    current = undefined;
    bindingsChanged();
    expect(gate.allows(source, 'voice')).toBe(false);
    current = binding({ access: Access.WRITE_ONLY });
    bindingsChanged();
    expect(gate.allows(source, 'voice')).toBe(true);
    expect(reads).toBe(4);
  });

  it("follows a kit's bindings: mute, access, detach and a room that loads later", async () => {
    const kit = new RoomKit();
    await kit.createRoom({ roomId: 'r' });
    const gate = new InputGate('r');
    expect(gate.allows(kit, 'voice')).toBe(false); // not attached
    await kit.attachChannel('r', 'voice', { category: ChannelCategory.TRANSPORT, access: Access.READ_WRITE });
    expect(gate.allows(kit, 'voice')).toBe(true);
    await kit.mute('r', 'voice');
    expect(gate.allows(kit, 'voice')).toBe(false);
    await kit.unmute('r', 'voice');
    expect(gate.allows(kit, 'voice')).toBe(true);
    await kit.setAccess('r', 'voice', Access.READ_ONLY);
    expect(gate.allows(kit, 'voice')).toBe(false);
    await kit.setAccess('r', 'voice', Access.READ_WRITE);
    expect(gate.allows(kit, 'voice')).toBe(true);
    await kit.detachChannel('r', 'voice');
    expect(gate.allows(kit, 'voice')).toBe(false);

    // A second kit on the same store: the room is not loaded there until something asks for it.
    await kit.attachChannel('r', 'voice', { category: ChannelCategory.TRANSPORT, access: Access.READ_WRITE });
    const other = new RoomKit({ store: kit.store });
    const late = new InputGate('r');
    expect(late.allows(other, 'voice')).toBe(false);
    await other.getBinding('r', 'voice'); // loads the room's state
    expect(late.allows(other, 'voice')).toBe(true);
    await kit.close();
    await other.close();
  });
});
