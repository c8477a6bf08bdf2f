#!/usr/bin/env node
// The `switchyard` command of a checkout (`npx switchyard …`, package.json "bin"): runs the TypeScript CLI through
// tsx, so it always matches the source (a dist/ build can be older than the checkout). A production install
// (`npm ci --omit=dev`) has no tsx: there it runs the build that `npm start` / `npm run build` made.
let tsx;
try {
  tsx = await import('tsx/esm/api');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
}
let cli;
if (tsx) {
  tsx.register();
  cli = await import('./main.ts');
} else {
  try {
    cli = await import('../../dist/runtime/cli/main.js');
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    process.stderr.write('switchyard: the CLI is not built yet: run `npm run build` in the checkout first\n');
    process.exit(1);
  }
}
process.exitCode = await cli.main(process.argv.slice(2), cli.processIo());
