import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileOptOutStore, fitSmsSegments, smsKeyword, smsSegments } from '../../../src/channels/sms/index.js';

describe('SMS segments', () => {
  it.each([
    ['', 'GSM-7', 0, 0],
    ['a'.repeat(160), 'GSM-7', 1, 160],
    ['a'.repeat(161), 'GSM-7', 2, 161],
    ['a'.repeat(306), 'GSM-7', 2, 306],
    ['a'.repeat(307), 'GSM-7', 3, 307],
    ['€'.repeat(80), 'GSM-7', 1, 160], // extension characters take two septets
    ['€'.repeat(81), 'GSM-7', 2, 162],
    ['é'.repeat(160), 'GSM-7', 1, 160], // é is in the basic GSM alphabet
    ['ü'.repeat(71), 'GSM-7', 1, 71],
    ['ç'.repeat(70), 'UCS-2', 1, 70], // ç is not (only Ç is)
    ['😀'.repeat(35), 'UCS-2', 1, 70], // one emoji: two UTF-16 units
    ['x'.repeat(69) + '😀', 'UCS-2', 2, 71],
  ])('%#: %s', (text, encoding, segments, units) => {
    expect(smsSegments(text)).toMatchObject({ encoding, segments, units });
  });

  it("fits to a segment budget in the text's own alphabet, never splitting an emoji", () => {
    const gsm = fitSmsSegments('word '.repeat(100), 2);
    expect(smsSegments(gsm)).toMatchObject({ encoding: 'GSM-7', segments: 2 });
    expect(gsm.endsWith('...')).toBe(true);
    const ucs = fitSmsSegments('😀'.repeat(200), 1);
    expect(smsSegments(ucs)).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(ucs).toBe(`${'😀'.repeat(34)}…`);
    expect(fitSmsSegments('short', 1)).toBe('short');
  });
});

describe('STOP/START/HELP keywords', () => {
  it.each([
    ['STOP', 'stop'],
    ['stop', 'stop'],
    [' Stop. ', 'stop'],
    ['stop all', 'stop'],
    ['UNSUBSCRIBE', 'stop'],
    ['cancel', 'stop'],
    ['START', 'start'],
    ['unstop', 'start'],
    ['help', 'help'],
    ['INFO', 'help'],
  ])('%s is %s', (text, keyword) => {
    expect(smsKeyword(text)).toBe(keyword);
  });

  it.each(['please stop calling me', 'stopped', 'help me with my order', 'started'])(
    '"%s" is not a keyword',
    (text) => {
      expect(smsKeyword(text)).toBeUndefined();
    },
  );
});

describe('FileOptOutStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rk-optout-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('persists opt-outs per sending number across instances', async () => {
    const path = join(dir, 'nested', 'opt-outs.json');
    const first = new FileOptOutStore(path);
    await Promise.all([
      first.optOut('+15005550006', '+15550000001'),
      first.optOut('+15005550006', '+15550000002'),
      first.optOut('+15005550007', '+15550000001'),
    ]);
    await first.optIn('+15005550006', '+15550000002');
    const second = new FileOptOutStore(path);
    expect(await second.isOptedOut('+15005550006', '+15550000001')).toBe(true);
    expect(await second.isOptedOut('+15005550006', '+15550000002')).toBe(false);
    expect(await second.list('+15005550007')).toEqual(['+15550000001']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      '+15005550006': ['+15550000001'],
      '+15005550007': ['+15550000001'],
    });
  });
});
