// The built-in tool set. Each tool is its own module; this only assembles them with their dependencies.
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { editTool } from './edit.js';
import { execTool } from './exec.js';
import { listTool } from './list.js';
import { readTool } from './read.js';
import type { SandboxDeps } from './sandbox.js';
import { timeTool } from './time.js';
import type { Tool } from './types.js';
import { webFetchTool, type WebFetchDeps } from './web-fetch.js';
import { writeTool } from './write.js';

export interface BuiltinToolDeps {
  config: () => Config;
  clock: Clock;
  sandbox?: SandboxDeps;
  /** DNS resolution for web_fetch (default: the system resolver). */
  lookup?: WebFetchDeps['lookup'];
}

/** read, write, edit, list (group fs) · exec (runtime) · web_fetch (web) · time (core). */
export function builtinTools(deps: BuiltinToolDeps): Tool[] {
  return [
    readTool(),
    writeTool(),
    editTool(),
    listTool(),
    execTool({ config: deps.config, sandbox: deps.sandbox }),
    webFetchTool({ config: deps.config, lookup: deps.lookup, clock: deps.clock }),
    timeTool(deps.clock),
  ];
}
