// Which pure-JS index for memory search: MiniSearch (+ cosine over Float32Array) vs Orama (full-text, vector and
// hybrid in one). Not part of `npm run bench`: Orama is not a dependency. To run it:
//   npm i --no-save @orama/orama@3.1.18 && node --expose-gc bench/memory-libs.mjs minisearch 768
//   node --expose-gc bench/memory-libs.mjs orama 768
// 10,000 chunks of 300 words drawn from a Zipf distribution over a 30,000-word vocabulary (the 100 most common
// treated as stop words by both), one random unit vector per chunk, 300 queries of 4 words; in-process, no I/O.
const [which = 'minisearch', dimsArg = '768'] = process.argv.slice(2);
const DIM = Number(dimsArg);
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const V = 30_000;
const vocab = Array.from({ length: V }, (_, i) => 'w' + i.toString(36));
const cdf = new Float64Array(V);
let acc = 0;
for (let r = 0; r < V; r++) cdf[r] = acc += 1 / (r + 1);
const word = () => {
  const u = rnd() * acc;
  let lo = 0;
  let hi = V - 1;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (cdf[m] < u) lo = m + 1;
    else hi = m;
  }
  return vocab[lo];
};
const STOP = new Set(vocab.slice(0, 100));
const N = 10_000;
const texts = Array.from({ length: N }, (_, i) => Array.from({ length: 300 }, word).join(' ') + ` ID-${i}`);
const vecs = Array.from({ length: N }, () => {
  const v = new Float32Array(DIM);
  let n = 0;
  for (let j = 0; j < DIM; j++) n += (v[j] = rnd() - 0.5) ** 2;
  n = Math.sqrt(n);
  for (let j = 0; j < DIM; j++) v[j] /= n;
  return v;
});
const queries = Array.from({ length: 300 }, (_, i) => ({ term: `${word()} ${word()} ${word()} ${vocab[100 + Math.floor(rnd() * 3000)]}`, vec: vecs[i * 3] }));
const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))];

global.gc?.();
const rss0 = process.memoryUsage().rss;
const heap0 = process.memoryUsage().heapUsed;
const t0 = performance.now();
let keyword;
let hybrid;
if (which === 'orama') {
  const { create, insertMultiple, search } = await import('@orama/orama');
  const db = create({ schema: { text: 'string', embedding: `vector[${DIM}]` }, components: { tokenizer: { stopWords: [...STOP] } } });
  await insertMultiple(
    db,
    texts.map((t, i) => ({ id: String(i), text: t, embedding: Array.from(vecs[i]) })),
    1000,
  );
  keyword = (q) => search(db, { term: q.term, properties: ['text'], limit: 10 });
  hybrid = (q) =>
    search(db, {
      mode: 'hybrid',
      term: q.term,
      properties: ['text'],
      vector: { value: Array.from(q.vec), property: 'embedding' },
      similarity: 0,
      limit: 10,
      hybridWeights: { text: 0.3, vector: 0.7 },
    });
} else {
  const { default: MiniSearch } = await import('minisearch');
  const ms = new MiniSearch({ fields: ['text'], processTerm: (t) => (STOP.has(t.toLowerCase()) ? null : t.toLowerCase()) });
  ms.addAll(texts.map((t, i) => ({ id: i, text: t })));
  keyword = (q) => ms.search(q.term);
  hybrid = (q) => {
    const r = ms.search(q.term);
    const scores = new Float32Array(N);
    for (let i = 0; i < N; i++) {
      const v = vecs[i];
      let d = 0;
      for (let j = 0; j < DIM; j++) d += v[j] * q.vec[j];
      scores[i] = d;
    }
    return r;
  };
}
const built = performance.now() - t0;
for (const q of queries.slice(0, 20)) {
  await keyword(q);
  await hybrid(q);
}
const kw = [];
const hy = [];
for (const q of queries) {
  const s = performance.now();
  await keyword(q);
  kw.push(performance.now() - s);
}
for (const q of queries) {
  const s = performance.now();
  await hybrid(q);
  hy.push(performance.now() - s);
}
global.gc?.();
const f = (x) => x.toFixed(2);
console.log(
  JSON.stringify({
    library: which,
    dims: DIM,
    buildMs: Math.round(built),
    keywordP50: f(pct(kw, 0.5)),
    keywordP99: f(pct(kw, 0.99)),
    hybridP50: f(pct(hy, 0.5)),
    hybridP99: f(pct(hy, 0.99)),
    heapMB: Math.round((process.memoryUsage().heapUsed - heap0) / 1e6),
    rssMB: Math.round((process.memoryUsage().rss - rss0) / 1e6),
  }),
);
