import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OTEL_SDK_PACKAGES, OtelSdkMissingError, sdkImport } from '../../src/server/otel.js';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('OpenTelemetry: the library depends on @opentelemetry/api only (issue 17)', () => {
  it('installs the API and nothing else of OpenTelemetry; the SDK is an optional peer', () => {
    const otel = (deps: Record<string, string> = {}) =>
      Object.keys(deps).filter((d) => d.startsWith('@opentelemetry/'));
    expect(otel(pkg.dependencies)).toEqual(['@opentelemetry/api']);
    const peers = otel(pkg.peerDependencies);
    expect(peers.sort()).toEqual(OTEL_SDK_PACKAGES.map((p) => p.slice(0, p.lastIndexOf('@'))).sort());
    for (const peer of peers) expect(pkg.peerDependenciesMeta[peer]).toEqual({ optional: true });
  });

  it('only `roomkit serve --otel` (src/server/otel.ts) loads an SDK package, and only then', () => {
    const importers = sources(join(ROOT, 'src')).filter((file) =>
      /from '@opentelemetry\/(?!api')|import\('@opentelemetry\/(?!api')/.test(readFileSync(file, 'utf8')),
    );
    expect(importers.map((f) => f.slice(ROOT.length + 1))).toEqual(['src/server/otel.ts']);
    expect(readFileSync(join(ROOT, 'src/server/otel.ts'), 'utf8')).not.toMatch(
      /^import .* from '@opentelemetry\/(?!api')/m,
    );
  });

  it('--otel without the SDK says what to install', async () => {
    const missing = sdkImport(() => import('@opentelemetry/not-a-package' as string));
    await expect(missing).rejects.toBeInstanceOf(OtelSdkMissingError);
    await expect(missing).rejects.toThrow(
      /Install with: npm install @opentelemetry\/sdk-trace-base@\^2\.5\.1 /,
    );
    // Any other failure is not disguised as a missing package.
    await expect(sdkImport(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
