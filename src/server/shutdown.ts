import type { RunningServer } from './server.js';

const GRACE_MS = 10_000;

/**
 * Graceful exit for `roomkit serve`. SIGINT or SIGTERM: stop accepting, let in-flight
 * commits finish, close sockets and the store, exit 0 (exit 1 if that takes over 10 s);
 * a second signal exits at once. When npm started us (`npx roomkit serve`, `npm run serve`)
 * a signal sent to npm does not reach us (npm's `sh -c` dies without forwarding it), so we
 * also shut down when our parent process goes away.
 */
export function exitOnShutdownSignals(server: RunningServer, say: (line: string) => void): void {
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) {
      say(`roomkit serve: ${why} again; exiting now`);
      process.exit(130);
    }
    stopping = true;
    say(`roomkit serve: ${why}; shutting down`);
    const forced = setTimeout(() => {
      say(`roomkit serve: shutdown took over ${GRACE_MS / 1000} s; exiting`);
      process.exit(1);
    }, GRACE_MS);
    forced.unref();
    server.close().then(
      () => process.exit(0),
      (error) => {
        say(`roomkit serve: shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(watch);
        stop('parent process exited');
      }
    }, 500);
    watch.unref();
  }
}
