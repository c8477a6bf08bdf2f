// Seeded mutation of saved payloads, for robustness tests: the same cases on every run, so a failure reproduces.

/** A small seeded PRNG (LCG). */
export function prng(seed: number) {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return { next, pick: <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)] };
}

export type Prng = ReturnType<typeof prng>;

/** Values a field may be replaced with: wrong types, extremes, odd strings, a prototype-pollution attempt. */
export const JUNK: (() => unknown)[] = [
  () => null,
  () => 0,
  () => -1,
  () => 1e308,
  () => '',
  () => 'x'.repeat(5000),
  () => [],
  () => [null, 1, 'a'],
  () => ({}),
  () => true,
  () => ({ id: 12 }),
  () => '<@1187642011233112064><@&1187650000000000001><@!',
  () => '\u0000\ud800\u200b',
  () => JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
];

/** A copy of `v` with fields dropped or replaced by junk, recursively; lists grow or shrink. */
export function mutate(v: unknown, r: Prng): unknown {
  if (Array.isArray(v)) {
    const a = v.map((x) => mutate(x, r));
    if (r.next() < 0.2) a.push(r.pick(JUNK)());
    if (r.next() < 0.2) a.splice(0, 1);
    return a;
  }
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const roll = r.next();
      if (roll < 0.08) continue; // drop the field
      o[k] = roll < 0.2 ? r.pick(JUNK)() : mutate(x, r);
    }
    return o;
  }
  return v;
}
