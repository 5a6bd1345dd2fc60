import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src', 'client');
const OUT = join(ROOT, 'dist', 'client');

function stale(): boolean {
  for (const file of readdirSync(SRC)) {
    if (!file.endsWith('.ts')) continue;
    const built = join(OUT, file.replace(/\.ts$/, '.js'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(SRC, file)).mtimeMs) return true;
  }
  return false;
}

/**
 * Browser tests load the client library the way `roomkit serve` serves it: compiled, from
 * dist/client. `npm test` builds first; this rebuilds it when a source is newer (a test run
 * straight after an edit), under a lock so parallel test files do not write it at once.
 */
export function ensureClientBuilt(): void {
  if (!stale()) return;
  execFileSync(
    'flock',
    [
      '/tmp/roomkit-client-build.lock',
      'sh',
      '-c',
      // Checked again under the lock: another test file may have just built it.
      `cd "${ROOT}" && if [ -f dist/client/index.js ] && [ -z "$(find src/client -name '*.ts' -newer dist/client/index.js)" ]; then exit 0; fi; npx tsc -p src/client/tsconfig.json`,
    ],
    { stdio: 'inherit', timeout: 120_000 },
  );
}
