#!/usr/bin/env node
// The operator command of cdk-ml-triggers, bundled at build time into assets/cli/index.js.
const { main } = require('./assets/cli/index.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
