import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { AIRequest } from '../../src/ai/types.js';
import {
  Channel,
  type ChannelOutput,
  ChannelType,
  HookResult,
  HookTrigger,
  type RoomKit,
  type RoomEvent,
} from '../../src/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { MockAIProvider } from '../../src/testing/index.js';

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
  // Long (12 s at the inspector's 80 ms a word): a click on stop that a loaded machine delays
  // by seconds still lands before the end (40 words did not, once, with the whole suite running).
  if (asked.includes('count')) return Array.from({ length: 150 }, (_, i) => `n${i + 1}`).join(' ');
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

/** A BEFORE_BROADCAST hook `spam-filter` that blocks messages mentioning spam. */
export function blockSpam(kit: RoomKit): void {
  kit.hook(
    HookTrigger.BEFORE_BROADCAST,
    (e) =>
      e.content.type === 'text' && /spam/.test(e.content.body)
        ? HookResult.block('looks like spam')
        : undefined,
    { name: 'spam-filter' },
  );
}

/**
 * `roomkit serve` for the inspector tests: the scripted agent (streaming, `delayMs` per word),
 * no speech, the spam filter, and a CRM webhook in the lobby that refuses what mentions it.
 */
export async function inspectorServer(dbPath: string, delayMs: number): Promise<RunningServer> {
  const server = await startServer({
    port: 0,
    dbPath,
    aiProvider: new MockAIProvider({ responses: [scriptedReply], streaming: true, delayMs }),
    voice: false,
  });
  blockSpam(server.kit);
  server.kit.registerChannel(new PickyCrm('crm'));
  await server.kit.attachChannel('lobby', 'crm');
  return server;
}

/** Open the console on a room and wait until its socket is connected. */
export async function openConsole(
  browser: Browser,
  url: string,
  token: string,
  opts: { room?: string; query?: string; width?: number; height?: number } = {},
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 } });
  await page.goto(`${url}/?token=${token}&room=${opts.room ?? 'lobby'}${opts.query ?? ''}`);
  await page.getByTestId('status').filter({ hasText: 'connected as' }).waitFor({ timeout: 15_000 });
  return page;
}

/**
 * Nothing on the page is wider than the viewport (no horizontal scroll), except inside
 * elements that scroll or clip on their own (a code block). Returns the offenders.
 */
export async function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    // Runs in the page (the test's TypeScript has no DOM types).
    const g = globalThis as any;
    const root = g.document.documentElement;
    const width: number = root.clientWidth;
    const out: string[] = [];
    if (root.scrollWidth > width) out.push(`document ${root.scrollWidth} > ${width}`);
    const clips = (el: any): boolean => {
      for (let p = el?.parentElement; p; p = p.parentElement) {
        const x = g.getComputedStyle(p).overflowX;
        if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
      }
      return false;
    };
    for (const el of g.document.body.querySelectorAll('*')) {
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
