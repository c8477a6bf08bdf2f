// Decoding of tool arguments. The model produces them, so they are untrusted input: every tool reads its
// arguments through these helpers, which throw ToolArgError with a message the model can act on.

export class ToolArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolArgError';
  }
}

export function requiredString(args: Record<string, unknown>, key: string): string {
  const v = args[key];
  if (typeof v !== 'string') throw new ToolArgError(`argument "${key}" is required and must be a string`);
  return v;
}

export function optionalString(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ToolArgError(`argument "${key}" must be a string`);
  return v;
}

/** A positive integer (or undefined); non-integers are rounded down, out-of-range values are refused. */
export function optionalInt(args: Record<string, unknown>, key: string, range: { min: number; max?: number }): number | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ToolArgError(`argument "${key}" must be a number`);
  const n = Math.floor(v);
  if (n < range.min || (range.max !== undefined && n > range.max)) {
    const upper = range.max === undefined ? '' : ` and at most ${range.max}`;
    throw new ToolArgError(`argument "${key}" must be at least ${range.min}${upper} (got ${v})`);
  }
  return n;
}
