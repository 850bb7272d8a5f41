// Runs once in Jest's parent process before any worker starts, so every worker, every test file's
// sandbox and every child process a test spawns inherit what is set here.
module.exports = async function globalSetup() {
  // @aws-sdk/core warns once per module registry that future SDK releases will need Node 22; Jest gives
  // each test file a fresh registry, so the same notice repeated once per file that builds a client.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
};
