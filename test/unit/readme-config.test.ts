// The configuration examples in README.md are what users copy: each must load as it stands.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config/load.js';
import { CHANNEL_MODULES } from '../../bots/registry.js';

const ROOT = resolve(import.meta.dirname, '../..');
const env = {
  SWITCHYARD_GATEWAY_TOKEN: 'a-token-of-twenty-chars',
  ANTHROPIC_KEY_WORK: 'sk-test',
  TELEGRAM_BOT_TOKEN: '1:test',
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_APP_TOKEN: 'xapp-test',
};

describe('README configuration examples', () => {
  it('every json5 block loads without a problem', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json5\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const home = await mkdtemp(join(tmpdir(), 'sy-readme-'));
    try {
      for (const [i, text] of blocks.entries()) {
        const file = join(home, `example-${i}.json5`);
        await writeFile(file, text);
        await expect(loadConfig({ modules: CHANNEL_MODULES, home, configPath: file, env }), `README json5 block ${i + 1}`).resolves.toMatchObject({ exists: true });
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
