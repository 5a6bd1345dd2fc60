import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * What docs/getting-started.md tells a new user to do, done: pack the package, install the
 * tarball into an empty project, run the page's first example there. And the README's headline
 * example runs twice against the same SQLite file (regression: the second run died with
 * `DuplicateError: room already exists: chat`).
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const work = mkdtempSync(join(tmpdir(), 'rk-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The ```ts blocks of a markdown file, each with the ```text block after it (expected output). */
function blocks(file: string): { code: string; expected: string[] }[] {
  const md = readFileSync(join(ROOT, file), 'utf8');
  const found: { code: string; expected: string[] }[] = [];
  const re = /```(ts|text)\n([\s\S]*?)```/g;
  for (let m = re.exec(md); m; m = re.exec(md)) {
    if (m[1] === 'ts') found.push({ code: m[2]!, expected: [] });
    else if (found.length) found.at(-1)!.expected = m[2]!.trim().split('\n');
  }
  return found;
}

describe('installing roomkit as docs/getting-started.md says', () => {
  it('npm pack, then npm install of the tarball into an empty project: the first example runs there', async () => {
    if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is not built: run npm run build');
    const packed = await run('npm', ['pack', '--pack-destination', work, '--silent'], {
      cwd: ROOT,
      timeout: 60_000,
    });
    const tarball = join(work, packed.stdout.trim().split('\n').at(-1)!);
    const app = join(work, 'my-app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'my-app', private: true, type: 'module' }),
    );
    // Offline when the npm cache has the dependencies; no install scripts (native builds are
    // not what this checks, and the first example needs none).
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        tarball,
      ],
      { cwd: app, timeout: 240_000 },
    );
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'roomkit', 'package.json'), 'utf8'));
    expect(installed.name).toBe('roomkit');
    const [first] = blocks('docs/getting-started.md');
    writeFileSync(join(app, 'app.ts'), first!.code);
    const { stdout } = await run(process.execPath, ['--import', TSX, 'app.ts'], {
      cwd: app,
      timeout: 30_000,
    });
    for (const line of first!.expected) expect(stdout).toContain(line);
  }, 300_000);
});

describe("the README's headline example", () => {
  const dir = join(ROOT, 'test', '.readme-run');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts the example, resolves with what it printed once it listens; then stops it. */
  async function startOnce(file: string, cwd: string): Promise<string> {
    const child: ChildProcess = spawn(process.execPath, ['--import', TSX, file], {
      cwd,
      env: { ...process.env, PORT: '0', ANTHROPIC_API_KEY: 'not-used-nothing-is-asked' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
    });
    child.stderr!.on('data', (c) => {
      out += c;
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not listening after 30 s: ${out}`)), 30_000);
        child.stdout!.on('data', () => {
          if (/chat on ws:\/\/127\.0\.0\.1:\d+\/ws/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code} before listening: ${out}`));
        });
      });
      return out;
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
    }
  }

  it('runs twice against the same SQLite file (regression: DuplicateError on the second run)', async () => {
    mkdirSync(dir, { recursive: true });
    const [headline] = blocks('README.md');
    // Inside the package, so `roomkit` resolves to this checkout (its dist/), like the docs test.
    writeFileSync(join(dir, 'headline.ts'), headline!.code);
    const first = await startOnce('headline.ts', dir);
    expect(existsSync(join(dir, 'chat.db'))).toBe(true);
    const second = await startOnce('headline.ts', dir);
    expect(second).not.toContain('DuplicateError');
    expect(first + second).not.toMatch(/Error/);
  }, 90_000);
});
