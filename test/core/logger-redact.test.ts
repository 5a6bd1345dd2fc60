import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** What createLogger writes to stderr when `script` runs with it as `log`. */
async function stderrOf(script: string): Promise<string[]> {
  const source = `import { createLogger } from './src/core/logger.ts'; const log = createLogger('t', 'info'); ${script}`;
  const { stderr } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    timeout: 20_000,
  });
  return stderr.trim().split('\n');
}

describe('createLogger', () => {
  it('strips credentials from fields and messages (a vendor error quoting the refused key, a token in a URL)', async () => {
    const [fields, message, plain] = await stderrOf(`
      log.warn({ err: 'Incorrect API key provided: sk-proj-abcdef123456', url: '/voice?token=eyJhbGciOi.eyJzdWIiOiJ4.sig' }, 'stt failed');
      log.error('upstream said: Bearer abcdefghijklmnop');
      log.info({ roomId: 'r1', n: 3 }, 'nothing secret');
    `);
    const a = JSON.parse(fields);
    expect(a.err).toBe('Incorrect API key provided: [redacted]');
    expect(a.url).toBe('/voice?token=[redacted]');
    expect(a.msg).toBe('stt failed');
    expect(JSON.parse(message).msg).toBe('upstream said: Bearer [redacted]');
    expect(JSON.parse(plain)).toMatchObject({ roomId: 'r1', n: 3, msg: 'nothing secret' });
    expect(`${fields}${message}`).not.toMatch(/sk-proj|abcdefghijklmnop|eyJzdWIi/);
  });
});
