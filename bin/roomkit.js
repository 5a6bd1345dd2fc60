#!/usr/bin/env node
// The `roomkit` command. Runs the compiled CLI (npm run build first when working from source).
import { main } from '../dist/server/cli.js';

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
