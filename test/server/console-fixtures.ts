import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Channel, type ChannelOutput, ChannelType, type RoomEvent } from '../../src/index.js';
import type { AIRequest } from '../../src/ai/types.js';

/** Where the console tests leave their screenshots (ROOMKIT_SCREENSHOTS keeps them somewhere you choose). */
export const SHOTS = process.env.ROOMKIT_SCREENSHOTS ?? join(tmpdir(), 'roomkit-console-shots');
mkdirSync(SHOTS, { recursive: true });

export const MARKDOWN_REPLY = [
  '**Sure.** Run `npm test` first:',
  '',
  '```sh',
  'npm test -- --reporter=dot',
  '```',
  '',
  '- one *small* step',
  '- then [the docs](https://example.com/docs)',
].join('\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lastUser(request: AIRequest): string {
  const last = [...request.messages].reverse().find((m) => m.role === 'user');
  return typeof last?.content === 'string' ? last.content : '';
}

/** The agent the console tests talk to: what it answers depends on what it was asked. */
export async function scriptedReply(request: AIRequest): Promise<string> {
  const asked = lastUser(request);
  if (asked.includes('think slowly')) {
    await sleep(1_500);
    return 'Done thinking.';
  }
  if (asked.includes('count')) return Array.from({ length: 40 }, (_, i) => `n${i + 1}`).join(' ');
  if (asked.includes('markdown')) return MARKDOWN_REPLY;
  return 'Noted.';
}

/** A CRM webhook that refuses messages mentioning it: a failed delivery the inspector shows. */
export class PickyCrm extends Channel {
  readonly channelType = ChannelType.WEBHOOK;
  override retryPolicy = { maxRetries: 0 };
  override async deliver(event: RoomEvent): Promise<ChannelOutput> {
    if (event.content.type === 'text' && event.content.body.includes('crm'))
      throw new Error('crm: 422 unprocessable');
    return {};
  }
}

/**
 * Nothing on the page is wider than the viewport (no horizontal scroll), except inside
 * elements that scroll or clip on their own (a code block). Returns the offenders.
 */
export async function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    if (document.documentElement.scrollWidth > width)
      out.push(`document ${document.documentElement.scrollWidth} > ${width}`);
    const clips = (el: Element | null): boolean => {
      for (let p = el?.parentElement; p; p = p.parentElement) {
        const x = getComputedStyle(p).overflowX;
        if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
      }
      return false;
    };
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      if ((r.right > width + 0.5 || r.left < -0.5) && !clips(el))
        out.push(
          `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} [${Math.round(r.left)}, ${Math.round(r.right)}]`,
        );
    }
    return out.slice(0, 10);
  });
}

/** The element is on screen with a real size. */
export async function visibleBox(page: Page, testId: string) {
  const box = await page.getByTestId(testId).boundingBox();
  const viewport = page.viewportSize()!;
  return Boolean(
    box && box.width > 100 && box.height > 100 && box.x >= 0 && box.x + box.width <= viewport.width + 1,
  );
}
