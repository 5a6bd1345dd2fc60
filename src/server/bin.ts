/**
 * The process entry of the `roomkit` command (bin/roomkit.js loads the compiled copy; tests
 * run this file through tsx). Exit codes: 0 done, 1 failure, 2 usage error.
 */
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (result) => {
    if (typeof result === 'number') process.exitCode = result;
  },
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
