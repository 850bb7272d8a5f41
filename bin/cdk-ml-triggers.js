#!/usr/bin/env node
// The operator command of cdk-ml-triggers, bundled at build time into assets/cli/index.js.
// The AWS SDK inside the bundle is the version this package chose, so its notice about which Node
// versions future SDK releases will need is not the operator's to act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = require('../assets/cli/index.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
