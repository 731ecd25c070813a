#!/usr/bin/env node
// Thin shim: check the runtime, then hand over to the built CLI.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`✖ vidbot needs Node.js 22.13 or newer; this is ${process.version}.\n  hint: install Node 24 LTS.\n`);
  process.exit(1);
}

// Node keeps the compiled modules on disk (its own cache folder): later commands start sooner.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();

const { run } = await import('../dist/cli/run.js');
await run();
