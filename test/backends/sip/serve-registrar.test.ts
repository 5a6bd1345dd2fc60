import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/server/cli-options.js';
import { startCli } from '../../server/fixtures/cli-process.js';
import { eventually } from '../../conformance/backend.js';
import { type Kamailio, startKamailio } from './kamailio.js';

/** `roomkit serve --sip PORT --sip-registrar URI --sip-user NAME` with ROOMKIT_SIP_PASSWORD. */

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const PASSWORD = 's3cret';
const accepted = (k: Kamailio) =>
  /REGISTER accepted for sip:roomkit@127\.0\.0\.1 contact <sip:roomkit@127\.0\.0\.1:\d+> expires [1-9]/.test(
    k.log(),
  );

describe('roomkit serve --sip-registrar', () => {
  it('parses the registrar, the account and its password (from the environment only)', () => {
    const env = { ROOMKIT_SIP_PASSWORD: PASSWORD };
    expect(
      parseCommandLine(
        ['serve', '--sip', '5070', '--sip-registrar', 'sip:pbx.example.com', '--sip-user', 'desk'],
        env,
      ),
    ).toMatchObject({
      sipPort: 5070,
      sipRegistrar: { registrar: 'sip:pbx.example.com', username: 'desk', password: PASSWORD },
    });
    expect(
      parseCommandLine(['serve', '--sip', '0'], {
        ...env,
        ROOMKIT_SIP_REGISTRAR: 'sip:10.0.0.5:5060;transport=tcp',
        ROOMKIT_SIP_USERNAME: 'desk',
      }),
    ).toMatchObject({ sipRegistrar: { registrar: 'sip:10.0.0.5:5060;transport=tcp', username: 'desk' } });
    expect(parseCommandLine(['serve', '--sip', '0'], {})).not.toHaveProperty('sipRegistrar');
  });

  it.each([
    [
      ['--sip-registrar', 'sip:pbx', '--sip-user', 'desk'],
      { ROOMKIT_SIP_PASSWORD: PASSWORD },
      /needs --sip PORT/,
    ],
    [['--sip', '0', '--sip-registrar', 'sip:pbx'], { ROOMKIT_SIP_PASSWORD: PASSWORD }, /needs --sip-user/],
    [['--sip', '0', '--sip-registrar', 'sip:pbx', '--sip-user', 'desk'], {}, /ROOMKIT_SIP_PASSWORD/],
    [
      ['--sip', '0', '--sip-registrar', 'http://pbx', '--sip-user', 'desk'],
      { ROOMKIT_SIP_PASSWORD: PASSWORD },
      /a SIP URI/,
    ],
    [['--sip', '0', '--sip-user', 'desk'], { ROOMKIT_SIP_PASSWORD: PASSWORD }, /need --sip-registrar/],
    [['--sip', '0'], { ROOMKIT_SIP_PASSWORD: PASSWORD }, /need --sip-registrar/],
  ])('refuses %j', (args, env, message) => {
    let error: Error | undefined;
    try {
      parseCommandLine(['serve', ...args], env);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).toBe('UsageError');
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(PASSWORD);
  });

  it('a served SIP endpoint registers with kamailio (digest auth) and says so, never printing the password', async () => {
    const k = await startKamailio(PASSWORD);
    cleanup.push(() => k.stop());
    const dir = mkdtempSync(join(tmpdir(), 'rk-serve-registrar-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const registrar = `sip:127.0.0.1:${k.port}`;
    const child = startCli(
      [
        'serve',
        '--port',
        '0',
        '--db',
        join(dir, 'roomkit.db'),
        '--sip',
        '0',
        '--sip-registrar',
        registrar,
        '--sip-user',
        'roomkit',
      ],
      { ROOMKIT_SIP_PASSWORD: PASSWORD, ROOMKIT_LOG_LEVEL: 'info' },
    );
    cleanup.push(() => {
      child.process.kill('SIGTERM');
      return child.exited(10_000);
    });
    await child.waitFor(
      new RegExp(`SIP: registering as roomkit with ${registrar.replace(/\./g, '\\.')}`),
      60_000,
    );
    await eventually(() => expect(accepted(k), k.log().slice(-2000)).toBe(true), 10_000);
    await eventually(() => expect(child.stderr()).toContain('SIP registered'), 5_000);
    expect(k.log()).toContain('REGISTER challenge for sip:roomkit@127.0.0.1');
    expect(`${child.stdout()}${child.stderr()}`).not.toContain(PASSWORD);
  }, 90_000);
});
