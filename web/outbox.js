// Messages the user typed that the server has not acknowledged yet. Each has an idempotency
// key: sent again after a reconnect (or a reload: the outbox is kept in this browser), the
// server answers with the message it already stored instead of storing it twice. Nothing
// typed is lost while the server is unreachable; a message the server refuses is shown as
// failed, with a retry.

const MAX = 200;

export class Outbox {
  /** One outbox per user of this browser: another user's messages are never sent as ours. */
  constructor(userId, onChange) {
    this.key = `roomkit.outbox.${userId}`;
    this.onChange = onChange;
    this.items = load(this.key);
  }

  /** A new message: pending until the server acknowledges it. */
  add(roomId, body) {
    const id = crypto.randomUUID();
    const item = {
      clientId: id,
      idempotencyKey: `console-${id}`,
      roomId,
      content: { type: 'text', body },
      createdAt: new Date().toISOString(),
      state: 'pending',
    };
    this.items.push(item);
    if (this.items.length > MAX) this.items.shift();
    this.changed();
    return item;
  }

  inRoom(roomId) {
    return this.items.filter((i) => i.roomId === roomId);
  }

  /** Send the room's pending messages, oldest first, as long as `send` takes them. */
  flush(roomId, send) {
    for (const item of this.items) {
      if (item.roomId !== roomId || item.state === 'failed') continue;
      const ok = send({
        type: 'message',
        roomId,
        clientId: item.clientId,
        idempotencyKey: item.idempotencyKey,
        content: item.content,
      });
      if (!ok) break;
      item.state = 'sending';
    }
    this.changed();
  }

  /** The socket dropped: what was being sent is pending again (its key makes a resend safe). */
  unsent() {
    for (const item of this.items) if (item.state === 'sending') item.state = 'pending';
    this.changed();
  }

  acked(clientId) {
    const before = this.items.length;
    this.items = this.items.filter((i) => i.clientId !== clientId);
    if (this.items.length !== before) this.changed();
  }

  failed(clientId, message) {
    const item = this.items.find((i) => i.clientId === clientId);
    if (!item) return;
    item.state = 'failed';
    item.error = message;
    this.changed();
  }

  retry(clientId) {
    const item = this.items.find((i) => i.clientId === clientId);
    if (!item) return;
    item.state = 'pending';
    delete item.error;
    this.changed();
  }

  discard(clientId) {
    this.acked(clientId);
  }

  changed() {
    try {
      localStorage.setItem(this.key, JSON.stringify(this.items));
    } catch {
      // storage full or disabled: the outbox still works for this page
    }
    this.onChange();
  }
}

function load(key) {
  try {
    const items = JSON.parse(localStorage.getItem(key) ?? '[]');
    if (!Array.isArray(items)) return [];
    // A reload while sending: those are pending again.
    return items
      .filter((i) => i && typeof i.clientId === 'string' && i.content?.type === 'text')
      .map((i) => (i.state === 'sending' ? { ...i, state: 'pending' } : i));
  } catch {
    return [];
  }
}
