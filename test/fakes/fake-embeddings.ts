// Deterministic embeddings for the fake OpenAI API's POST /v1/embeddings: each word is mapped to a concept (a few
// synonyms share one, so a paraphrase lands near the original while sharing no keyword), each concept to one of
// DIMS dimensions by a hash, and the vector is normalised. Same text, same vector, on every run.
export const FAKE_EMBEDDING_DIMS = 64;

const SYNONYMS: Record<string, string> = {
  car: 'vehicle',
  automobile: 'vehicle',
  vehicle: 'vehicle',
  truck: 'vehicle',
  brakes: 'repair',
  repair: 'repair',
  repaired: 'repair',
  maintenance: 'repair',
  fix: 'repair',
  service: 'repair',
  mechanic: 'repair',
  holiday: 'trip',
  vacation: 'trip',
  trip: 'trip',
  journey: 'trip',
  travel: 'trip',
  dentist: 'doctor',
  doctor: 'doctor',
  physician: 'doctor',
  appointment: 'meeting',
  meeting: 'meeting',
};

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function fakeEmbedding(text: string): number[] {
  const v = new Array<number>(FAKE_EMBEDDING_DIMS).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const concept = SYNONYMS[word] ?? word;
    v[fnv1a(concept) % FAKE_EMBEDDING_DIMS]! += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** The /v1/embeddings answer for a request body (`input`: a string or a list of strings). */
export function embeddingsResponse(body: Record<string, unknown>): { status: number; body: unknown } {
  const input = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : undefined;
  if (!input?.every((x) => typeof x === 'string') || typeof body.model !== 'string') {
    return { status: 400, body: { error: { message: "'input' and 'model' are required", type: 'invalid_request_error', param: null, code: null } } };
  }
  return {
    status: 200,
    body: {
      object: 'list',
      data: (input as string[]).map((t, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(t) })),
      model: body.model,
      usage: { prompt_tokens: 0, total_tokens: 0 },
    },
  };
}
