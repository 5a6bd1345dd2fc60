import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/server/cli-options.js';
import { runCli } from './server/fixtures/cli-process.js';

/**
 * docs/deployment.md's commands as written: every `roomkit` command line on the page (shell
 * blocks and the systemd unit) parses with the options it shows, and `roomkit token` prints a
 * token that the page's description matches.
 */
const ROOT = join(import.meta.dirname, '..');
const page = readFileSync(join(ROOT, 'docs', 'deployment.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'rk-deploy-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `roomkit ...` invocations in the page's sh and ini blocks: the argument list, and the
 * variables the line sets before `roomkit` (`ROOMKIT_TURN_SECRET=$(cat ...) npx roomkit ...`).
 */
function commandLines(): { args: string[]; env: Record<string, string> }[] {
  const lines: { args: string[]; env: Record<string, string> }[] = [];
  const re = /```(sh|ini)\n([\s\S]*?)```/g;
  for (let m = re.exec(page); m; m = re.exec(page)) {
    const text = m[2]!.replace(/\\\n\s*/g, ' ');
    for (const line of text.split('\n')) {
      const at = line.search(/\broomkit(\.js)? (serve|token)(\s|'|$)/);
      if (at < 0) continue;
      const rest = line
        .slice(at)
        .replace(/^roomkit(\.js)? /, '')
        .replace(/'$/, '');
      const env: Record<string, string> = {};
      // Their values are shell expressions; any well-formed value stands in for them.
      for (const v of line.slice(0, at).matchAll(/\b([A-Z][A-Z0-9_]*)=/g)) env[v[1]!] = 'x'.repeat(32);
      const args = rest
        .replace(/\s+#.*$/, '')
        .trim()
        .split(/\s+/)
        // A quoted argument (the shell would drop the quotes).
        .map((arg) => arg.replace(/^'|'$/g, ''));
      lines.push({ args, env });
    }
  }
  return lines;
}

describe('docs/deployment.md runs as written', () => {
  it('every roomkit command line on the page parses', () => {
    const commands = commandLines();
    expect(commands.length).toBeGreaterThanOrEqual(4);
    for (const { args, env } of commands) {
      const parsed = parseCommandLine(args, { ROOMKIT_SECRET: 'x'.repeat(32), ...env });
      expect(parsed.command, args.join(' ')).toBe(args[0]);
    }
    expect(commands.some((c) => c.args.includes('--otel'))).toBe(true);
    expect(commands.some((c) => c.args.includes('--allow-host'))).toBe(true);
  });

  it('roomkit token --user alice --rooms support,sales --expires 7d prints a signed token', async () => {
    const { args } = commandLines().find((c) => c.args[0] === 'token')!;
    expect(args).toEqual(['token', '--user', 'alice', '--rooms', 'support,sales', '--expires', '7d']);
    const r = await runCli([...args, '--db', join(dir, 'roomkit.db')]);
    expect(r.code).toBe(0);
    const [, payload] = r.stdout.trim().split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'alice', rooms: ['support', 'sales'], iss: 'roomkit' });
    expect(claims.exp - claims.iat).toBe(7 * 24 * 3600);
  }, 30_000);
});
