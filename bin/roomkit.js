#!/usr/bin/env node
// The `roomkit` command. Runs the compiled CLI (npm run build first when working from source).
import '../dist/server/bin.js';
