// The conversation: messages as bubbles (markdown, who, channel, time), system notices, an
// agent reply as it streams (or "thinking" before its first word) with a stop button, the
// user's messages still waiting for the server, and failure notices.
import { fullTime, h, timeLabel } from './dom.js';
import { renderMarkdown } from './markdown.js';

/** A carrier's delivery receipt (SMS, WhatsApp, email) shows on the event it is about. */
export function isReceipt(e) {
  return e.content.type === 'system' && e.content.code === 'delivery_status' && e.content.data?.eventId;
}

export function textOf(content) {
  switch (content.type) {
    case 'text':
    case 'rich':
      return content.plainText ?? content.body;
    case 'system': {
      const on = content.data?.channelId ? ` (${content.data.channelId})` : '';
      return `${content.code.replaceAll('_', ' ')}${on}`;
    }
    case 'media':
      return content.caption ?? content.url;
    default:
      return `[${content.type}]`;
  }
}

/**
 * view: { events, streams, notices, pending, user, names, thinking, failedEvents }
 * actions: { stop, retry, discard }
 */
export function renderChat(list, empty, view, actions) {
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const receipts = new Map();
  const sorted = [...view.events.values()].sort((a, b) => a.index - b.index);
  for (const e of sorted) if (isReceipt(e)) receipts.set(e.content.data.eventId, e.content.data);
  const items = [];
  for (const e of sorted) {
    if (isReceipt(e)) continue;
    items.push(e.content.type === 'system' ? systemLine(e) : bubble(e, view, receipts.get(e.id)));
  }
  for (const item of view.pending) items.push(pendingBubble(item, actions));
  const streaming = [...view.streams.entries()];
  for (const [streamId, stream] of streaming) items.push(streamBubble(streamId, stream, actions));
  if (view.thinking && !streaming.length) items.push(thinkingBubble(actions));
  for (const notice of view.notices) items.push(noticeLine(notice));
  list.replaceChildren(...items);
  empty.hidden = items.length > 0;
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

function kindOf(e, user) {
  if (e.source.channelType === 'ai') return 'agent';
  return e.source.participantId === user ? 'mine' : 'other';
}

function bubble(e, view, receipt) {
  const kind = kindOf(e, view.user);
  const who = view.names.get(e.source.participantId) ?? e.source.participantId ?? e.source.channelId;
  // Which channel it came through, when it is not the console's own (sms, whatsapp, email...).
  const via = ['websocket', 'ai', 'system'].includes(e.source.channelType)
    ? ''
    : ` · ${e.source.channelType}`;
  const body = h('div', { class: 'body md' });
  if (e.content.type === 'text') body.append(renderMarkdown(e.content.body));
  else body.textContent = textOf(e.content);
  const failed = view.failedEvents.get(e.id);
  return h(
    'li',
    {
      class: `msg ${kind}${e.status === 'blocked' ? ' blocked' : ''}`,
      dataset: { index: e.index, testid: 'event', eventId: e.id },
    },
    h(
      'div',
      { class: 'meta' },
      h('span', { class: 'who' }, `${kind === 'mine' ? 'you' : who}${via}`),
      h('time', { datetime: e.createdAt, title: fullTime(e.createdAt) }, timeLabel(e.createdAt)),
    ),
    body,
    e.status === 'blocked' &&
      h(
        'span',
        { class: 'note blocked-by', dataset: { testid: 'blocked-by' } },
        `blocked by ${e.blockedBy ?? 'a hook'}`,
      ),
    failed && h('span', { class: 'note failed' }, `not delivered to ${failed.join(', ')}`),
    receipt &&
      h(
        'span',
        { class: `delivery ${receipt.status}`, dataset: { testid: 'delivery' } },
        `${receipt.status}${receipt.errorCode ? ` (${receipt.errorCode})` : ''} · ${receipt.channelId}`,
      ),
  );
}

function systemLine(e) {
  return h(
    'li',
    { class: 'system', dataset: { index: e.index, testid: 'event' }, title: fullTime(e.createdAt) },
    textOf(e.content),
  );
}

function pendingBubble(item, actions) {
  const status =
    item.state === 'failed'
      ? h(
          'span',
          { class: 'note failed' },
          `not sent: ${item.error ?? 'refused'} `,
          h(
            'button',
            { class: 'link', type: 'button', onclick: () => actions.retry(item.clientId) },
            'Retry',
          ),
          h(
            'button',
            { class: 'link', type: 'button', onclick: () => actions.discard(item.clientId) },
            'Discard',
          ),
        )
      : h(
          'span',
          { class: 'note' },
          item.state === 'sending' ? 'sending…' : 'pending: sent when the server is back',
        );
  return h(
    'li',
    { class: `msg mine pending ${item.state}`, dataset: { testid: 'pending', clientId: item.clientId } },
    h('div', { class: 'meta' }, h('span', { class: 'who' }, 'you'), h('time', {}, timeLabel(item.createdAt))),
    h('div', { class: 'body md' }, renderMarkdown(item.content.body)),
    status,
  );
}

function streamBubble(streamId, stream, actions) {
  return h(
    'li',
    { class: 'msg agent streaming', dataset: { streamId, testid: 'streaming' } },
    h(
      'div',
      { class: 'meta' },
      h('span', { class: 'who' }, stream.sourceChannelId ?? 'agent'),
      stopButton(actions),
    ),
    h('div', { class: 'body md' }, renderMarkdown(stream.text)),
  );
}

function thinkingBubble(actions) {
  return h(
    'li',
    { class: 'msg agent thinking', dataset: { testid: 'thinking' } },
    h('div', { class: 'meta' }, h('span', { class: 'who' }, 'agent'), stopButton(actions)),
    h(
      'div',
      { class: 'body' },
      'thinking',
      h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
    ),
  );
}

function stopButton(actions) {
  return h(
    'button',
    {
      class: 'stop',
      type: 'button',
      dataset: { testid: 'stop' },
      onclick: actions.stop,
      title: 'Stop generating',
    },
    'Stop',
  );
}

function noticeLine(notice) {
  const message = notice.message ?? 'something failed';
  // Provider errors already start with the provider's name ("anthropic: invalid x-api-key").
  const text =
    notice.provider && !message.startsWith(`${notice.provider}:`)
      ? `${notice.provider}: ${message}`
      : message;
  const retry = notice.retryable === false ? 'will not retry' : notice.retryable ? 'may work later' : '';
  const detail = [notice.code, retry].filter(Boolean).join(', ');
  return h(
    'li',
    {
      class: `notice ${notice.level === 'error' ? 'error' : 'warning'}`,
      dataset: { testid: 'notice' },
      role: 'alert',
    },
    `${notice.level === 'error' ? 'Error' : 'Warning'}: ${text}${detail ? ` (${detail})` : ''}`,
  );
}
