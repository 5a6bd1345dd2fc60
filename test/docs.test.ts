import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The docs and examples run as written: each ```ts block of docs/*.md is executed as its
 * own program (importing 'roomkit' like a user would, through the package's exports), and
 * every line of the ```text block after it must appear in what it printed.
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
// One folder per run: two runs at once (a developer's and an editor's) must not delete each other's blocks.
const TMP = join(ROOT, 'test', '.docs-run', `run-${process.pid}`);

interface Block {
  file: string;
  code: string;
  expected: string[];
}

function blocks(file: string): Block[] {
  const md = readFileSync(join(ROOT, 'docs', file), 'utf8');
  const found: Block[] = [];
  const re = /```(ts|text)\n([\s\S]*?)```/g;
  for (let m = re.exec(md); m; m = re.exec(md)) {
    if (m[1] === 'ts') found.push({ file, code: m[2]!, expected: [] });
    else if (found.length) found.at(-1)!.expected = m[2]!.trim().split('\n');
  }
  return found;
}

async function execTs(path: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path], { cwd: ROOT, timeout: 30_000 });
  return stdout;
}

mkdirSync(TMP, { recursive: true });
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('docs run as written', () => {
  const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  const all = docs.flatMap(blocks);
  it('has runnable blocks', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
  });
  all.forEach((block, i) => {
    it(`${block.file} block ${i + 1}`, async () => {
      const path = join(TMP, `block-${i + 1}.ts`);
      writeFileSync(path, block.code);
      const out = await execTs(path);
      for (const line of block.expected) expect(out).toContain(line);
    }, 40_000);
  });
});

describe('examples run as written', () => {
  it('examples/websocket-chat.ts', async () => {
    const out = await execTs(join(ROOT, 'examples', 'websocket-chat.ts'));
    expect(out).toContain('sent, stored at index 0');
    expect(out).toContain('assistant: Hi Ana, how can I help?');
  }, 40_000);
});
