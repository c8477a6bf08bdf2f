// The token budget of a model's window: how big the window is, and how much of it a session uses.
// The window comes from config (per model, then per provider), else from what is known of well-known models;
// usage comes from the tokens the provider reported for the last call, else from an estimate (chars ÷ 4).
import type { Config } from '../config/schema.js';
import type { ModelMessage, ModelRef, ToolSpec } from '../types/provider.js';

export const UNKNOWN_MODEL_WINDOW = 32_000;

/** Windows of well-known model families, matched on the model id (first match wins). */
const KNOWN_WINDOWS: { pattern: RegExp; tokens: number }[] = [
  { pattern: /claude/i, tokens: 200_000 },
  { pattern: /^(chatgpt-)?gpt-4o/i, tokens: 128_000 },
  { pattern: /^gpt-4-turbo/i, tokens: 128_000 },
  { pattern: /^gpt-4\.1/i, tokens: 1_047_576 },
  { pattern: /^gpt-5/i, tokens: 400_000 },
  { pattern: /^o[134](-|$)/i, tokens: 200_000 },
];

export type WindowSource = 'model' | 'provider' | 'built-in' | 'default';

export interface ContextWindow {
  tokens: number;
  /** Where the number came from, said in /context so a wrong guess is easy to spot and override. */
  source: WindowSource;
}

/**
 * `models.providers.<p>.models.<model>.contextWindow`, then `models.providers.<p>.contextWindow`, then the
 * built-in table, then 32k.
 */
export function contextWindowFor(config: Config, ref: ModelRef): ContextWindow {
  const provider = config.models.providers[ref.provider];
  const perModel = provider?.models?.[ref.model]?.contextWindow;
  if (perModel !== undefined) return { tokens: perModel, source: 'model' };
  if (provider?.contextWindow !== undefined) return { tokens: provider.contextWindow, source: 'provider' };
  const known = KNOWN_WINDOWS.find((k) => k.pattern.test(ref.model));
  if (known) return { tokens: known.tokens, source: 'built-in' };
  return { tokens: UNKNOWN_MODEL_WINDOW, source: 'default' };
}

/** The usual rough estimate when nothing better is known: ~4 characters per token. */
export function tokensOf(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Characters a message contributes to the window (text, tool call arguments, tool results). */
export function messageChars(m: ModelMessage): number {
  if (m.role === 'user') return m.text.length;
  if (m.role === 'assistant') {
    let n = m.text.length;
    for (const c of m.toolCalls ?? []) n += c.name.length + JSON.stringify(c.args).length;
    return n;
  }
  let n = 0;
  for (const r of m.results) n += r.content.length;
  return n;
}

export function messagesChars(messages: readonly ModelMessage[]): number {
  let n = 0;
  for (const m of messages) n += messageChars(m);
  return n;
}

export function toolsChars(tools: readonly ToolSpec[]): number {
  let n = 0;
  for (const t of tools) n += JSON.stringify(t).length;
  return n;
}

/** Estimated tokens of a whole request: system prompt, tool schemas and messages. */
export function estimateRequestTokens(system: string, tools: readonly ToolSpec[], messages: readonly ModelMessage[]): number {
  return tokensOf(system.length + toolsChars(tools) + messagesChars(messages));
}

export interface ContextUsage {
  tokens: number;
  source: 'provider' | 'estimate';
}

/**
 * What a session's context holds after a model call: the input tokens the provider reported plus the answer it
 * produced (which the next call will carry), or the estimate when the provider reported nothing.
 */
export function usageAfterCall(reported: { inputTokens: number; outputTokens: number } | undefined, estimate: () => number): ContextUsage {
  if (reported && reported.inputTokens > 0) return { tokens: reported.inputTokens + reported.outputTokens, source: 'provider' };
  return { tokens: estimate(), source: 'estimate' };
}
