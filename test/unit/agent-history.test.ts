// History rebuild when a run was repeated: only the latest run that took an inbound message counts.
import { describe, expect, it } from 'vitest';
import type { TranscriptEntry } from '../../runtime/types/storage.js';
import { historyFromTranscript, RUN_END } from '../../runtime/agent/history.js';

const user = (runId: string, text: string, inboundIds?: string[]): TranscriptEntry => ({ type: 'message', ts: 1, runId, message: { role: 'user', text }, inboundIds });
const asst = (runId: string, text: string): TranscriptEntry => ({ type: 'message', ts: 1, runId, message: { role: 'assistant', text } });
const end = (runId: string, status = 'ok'): TranscriptEntry => ({ type: 'event', ts: 1, runId, name: RUN_END, data: { status } });

describe('history of repeated runs', () => {
  const entries: TranscriptEntry[] = [
    user('r1', 'q1', ['a']),
    asst('r1', 'a1'),
    end('r1'),
    // r2 completed, but its reply was never recorded (crash): r3 took 'b' again.
    user('r2', 'q2', ['b']),
    asst('r2', 'unsent'),
    end('r2'),
    user('r3', 'q2', ['b']),
    user('r3', 'steered', ['b', 'c']),
    asst('r3', 'a2'),
    end('r3'),
  ];

  it('leaves out a run whose messages a later run took again', () => {
    expect(historyFromTranscript(entries)).toEqual([
      { role: 'user', text: 'q1' },
      { role: 'assistant', text: 'a1' },
      { role: 'user', text: 'q2' },
      { role: 'user', text: 'steered' },
      { role: 'assistant', text: 'a2' },
    ]);
  });

  it('leaves out earlier runs of the messages of the turn about to run', () => {
    expect(historyFromTranscript(entries, ['b'])).toEqual([
      { role: 'user', text: 'q1' },
      { role: 'assistant', text: 'a1' },
    ]);
    expect(historyFromTranscript(entries, ['zzz'])).toHaveLength(5);
  });

  it('entries without inbound ids (older transcripts) are replayed as before', () => {
    const old: TranscriptEntry[] = [user('r1', 'q'), asst('r1', 'a'), end('r1'), user('r2', 'q'), asst('r2', 'b'), end('r2')];
    expect(historyFromTranscript(old, ['x'])).toHaveLength(4);
  });
});
