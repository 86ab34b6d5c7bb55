#!/usr/bin/env node
// The `gpaco` command: a thin launcher for the bundled CLI (built by `npm run build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error(`gpaco: ${cli} is missing; run \`npm run build\` in ${path.join(__dirname, '..')} first.`);
  process.exit(2);
}
require(cli);
