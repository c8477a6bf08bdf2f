// test/place-tests.mjs on a throw-away copy of a test folder: tests left in test/ go to unit/ or e2e/ by what they
// start, helpers to fakes/, relative paths still point at the same files, and a second run changes nothing.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../place-tests.mjs');
// Spelled in pieces so that this file, which only writes these calls into sample tests, is not itself taken for a
// test that starts a gateway.
const USE_GATEWAY = ['use', 'Gateway'].join('');
const START_TELEGRAM = ['start', 'TelegramGateway'].join('');
const MAIN = ['runtime', 'main.ts'].join('/');
let root: string;

function write(rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');
const place = (...args: string[]) => spawnSync(process.execPath, [join(root, 'test/place-tests.mjs'), ...args], { cwd: root, encoding: 'utf8' });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sy-place-'));
  mkdirSync(join(root, 'test'));
  copyFileSync(SCRIPT, join(root, 'test/place-tests.mjs'));
  write('test/fakes/gateway-fixture.ts', `export function ${USE_GATEWAY}() {}\n`);
  write('test/unit/lanes.test.ts', "import { createLanes } from '../../runtime/lanes.js';\n");
  write('README.md', 'Run `npx vitest run test/e2e-discord.test.ts` or test/discord-inbound.test.ts.\n');
  // Another branch's end-to-end test and unit test, and a helper of theirs, all in test/ itself.
  write(
    'test/e2e-discord.test.ts',
    [
      `import { ${USE_GATEWAY} } from './fakes/gateway-fixture.js';`,
      "import { fakeDiscord } from './discord-helper.js';",
      "import type { Inbound } from '../runtime/types/channel.js';",
      "const ROOT = resolve(import.meta.dirname, '..');",
      `const gw = ${USE_GATEWAY}();`,
      '',
    ].join('\n'),
  );
  write(
    'test/discord-inbound.test.ts',
    [
      "import { decode } from '../bots/discord/inbound.js';",
      "import './discord-helper.js';",
      "const one = (name: string) => readFileSync(new URL(`./fixtures/discord/${name}.json`, import.meta.url), 'utf8');",
      "const ALL = new URL('./fixtures/discord/', import.meta.url);",
      '',
    ].join('\n'),
  );
  write('test/discord-helper.ts', "import { startFakeAnthropic } from './fakes/fake-anthropic.js';\nexport const fakeDiscord = 1;\n");
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('test/place-tests.mjs', () => {
  it('moves a whole-gateway test to e2e/ (dropping e2e-), another test to unit/, a helper to fakes/, and fixes their paths', () => {
    const r = place();
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(root, 'test/e2e-discord.test.ts'))).toBe(false);
    expect(read('test/e2e/discord.test.ts')).toBe(
      [
        `import { ${USE_GATEWAY} } from '../fakes/gateway-fixture.js';`,
        "import { fakeDiscord } from '../fakes/discord-helper.js';",
        "import type { Inbound } from '../../runtime/types/channel.js';",
        "const ROOT = resolve(import.meta.dirname, '../..');",
        `const gw = ${USE_GATEWAY}();`,
        '',
      ].join('\n'),
    );
    expect(read('test/unit/discord-inbound.test.ts')).toBe(
      [
        "import { decode } from '../../bots/discord/inbound.js';",
        "import '../fakes/discord-helper.js';",
        "const one = (name: string) => readFileSync(new URL(`../fixtures/discord/${name}.json`, import.meta.url), 'utf8');",
        "const ALL = new URL('../fixtures/discord/', import.meta.url);",
        '',
      ].join('\n'),
    );
    expect(read('test/fakes/discord-helper.ts')).toBe("import { startFakeAnthropic } from './fake-anthropic.js';\nexport const fakeDiscord = 1;\n");
    expect(read('test/unit/lanes.test.ts')).toBe("import { createLanes } from '../../runtime/lanes.js';\n");
    expect(read('README.md')).toBe('Run `npx vitest run test/e2e/discord.test.ts` or test/unit/discord-inbound.test.ts.\n');
    expect(place('--check').status).toBe(0);
  });

  it('a second run changes nothing', () => {
    expect(place().status).toBe(0);
    const before = ['test/e2e/discord.test.ts', 'test/unit/discord-inbound.test.ts', 'test/fakes/discord-helper.ts', 'README.md'].map(read);
    const again = place();
    expect(again.status).toBe(0);
    expect(again.stdout.trim()).toBe('test/ holds no test files to place.');
    expect(['test/e2e/discord.test.ts', 'test/unit/discord-inbound.test.ts', 'test/fakes/discord-helper.ts', 'README.md'].map(read)).toEqual(before);
  });

  it('never overwrites: a test whose place is taken stays, is named, and the run fails', () => {
    write('test/e2e/discord.test.ts', '// already here\n');
    const r = place();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('test/e2e-discord.test.ts: test/e2e/discord.test.ts exists already');
    expect(read('test/e2e/discord.test.ts')).toBe('// already here\n');
    expect(existsSync(join(root, 'test/e2e-discord.test.ts'))).toBe(true);
  });

  it('--check names a test left in test/ and a test in the wrong folder', () => {
    write('test/unit/telegram-flow.test.ts', `const g = await ${START_TELEGRAM}({});\n`);
    write('test/unit/cli-flow.test.ts', `const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, '${MAIN}')], {});\n`);
    write('test/unit/chunk.test.ts', "import { chunkText } from '../../runtime/chunk.js';\n");
    const r = place('--check');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('test/unit/cli-flow.test.ts starts a whole gateway: it belongs in test/e2e/');
    expect(r.stderr).not.toContain('chunk.test.ts');
    expect(r.stderr).toContain('test/e2e-discord.test.ts: not in test/unit/ or test/e2e/');
    expect(r.stderr).toContain('test/unit/telegram-flow.test.ts starts a whole gateway: it belongs in test/e2e/');
  });
});
