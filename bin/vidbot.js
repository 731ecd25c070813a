#!/usr/bin/env node
// Thin shim: check the runtime, then hand over to the built CLI.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`✖ vidbot needs Node.js 22.13 or newer; this is ${process.version}.\n  hint: install Node 24 LTS.\n`);
  process.exit(1);
}

const { run } = await import('../dist/cli/run.js');
await run();
