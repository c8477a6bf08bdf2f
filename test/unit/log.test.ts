// The process logger: JSON lines by default (what journald and log tools read), readable lines when pretty (a
// terminal), the level honoured, and a wrong level refused with the list of levels.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/log.js';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString()));
  return { stream, text: () => out };
}
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('logger', () => {
  it('writes JSON lines with the message and data, below the level nothing', async () => {
    const s = sink();
    const log = createLogger({ destination: s.stream, level: 'info' });
    log.info('channel started', { channel: 'telegram' });
    log.debug?.('not shown');
    await tick();
    const lines = s
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'channel started', channel: 'telegram' })]);
  });

  it('pretty: one readable line per record with its level word, not JSON', async () => {
    const s = sink();
    const log = createLogger({ destination: s.stream, level: 'debug', pretty: true });
    log.warn('telegram: getUpdates failed; retrying', { waitMs: 1000 });
    log.debug?.('shown at debug');
    await tick();
    expect(s.text()).toMatch(/WARN.*telegram: getUpdates failed; retrying/);
    expect(s.text()).toMatch(/waitMs: 1000/);
    expect(s.text()).toMatch(/DEBUG.*shown at debug/);
    expect(() => JSON.parse(s.text().split('\n')[0])).toThrow();
  });

  it('refuses an unknown level', () => {
    expect(() => createLogger({ level: 'verbose', destination: sink().stream })).toThrow(/trace, debug, info, warn, error, fatal, silent/);
  });
});
