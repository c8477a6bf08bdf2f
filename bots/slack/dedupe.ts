// Deliveries already handed to the runtime, known by every key they carry (event_id, channel + ts). Slack sends
// one post as both `message` and `app_mention` (two event ids, one ts) and re-sends an envelope whose ack it
// missed (same event id); either way the second copy is dropped here. Bounded: the oldest keys go first.

export const MAX_REMEMBERED = 10_000;

export class SeenKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly max = MAX_REMEMBERED) {}

  /** True when any key was seen before; remembers all of them either way. */
  check(keys: readonly string[]): boolean {
    const seen = keys.some((k) => this.keys.has(k));
    for (const k of keys) {
      this.keys.delete(k); // re-insert: most recently seen last
      this.keys.add(k);
    }
    while (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value as string);
    return seen;
  }

  get size(): number {
    return this.keys.size;
  }
}
