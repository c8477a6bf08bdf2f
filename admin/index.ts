// The chat command layer's public API, for the composition root (runtime/main.ts):
//   const intercept = createCommandInterceptor(adminDeps, builtinCommands);
//   interceptors.push((m, gw) => intercept(m, (text) => gw.answer(m, text)));
export { createCommandInterceptor, helpLine, visibleCommands } from './dispatch.js';
export { parseCommand, splitArgs, type ParsedCommand } from './parse.js';
export { builtinCommands } from './commands/index.js';
export { formatContext, contextTotals } from './commands/context.js';
export { UsageError, type AdminDeps, type Answer, type Command, type CommandContext, type CommandInterceptor, type ContextReport, type Located } from './types.js';
