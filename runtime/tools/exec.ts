// `exec`: a shell command in the workspace, in the sandbox unless agents.defaults.sandbox.mode says otherwise.
// Approval is not decided here: the runner asks approvals (via approvalSubject) before run() is called.
import type { Config } from '../config/schema.js';
import { optionalInt, requiredString } from './args.js';
import { runOnHost, runSandboxed, SandboxUnavailableError, type SandboxDeps } from './sandbox.js';
import type { Tool, ToolContext } from './types.js';

export interface ExecToolDeps {
  config: () => Config;
  sandbox?: SandboxDeps;
}

/** Whether this call runs on the host: mode `off`, or mode `non-main` in the owner's own DM session. */
export function runsOnHost(mode: Config['agents']['defaults']['sandbox']['mode'], ctx: Pick<ToolContext, 'isOwnerMain'>): boolean {
  return mode === 'off' || (mode === 'non-main' && ctx.isOwnerMain);
}

export function execTool(deps: ExecToolDeps): Tool {
  return {
    group: 'runtime',
    spec: {
      name: 'exec',
      description:
        'Run a shell command (/bin/sh -c) in the workspace directory. Usually sandboxed: the system is read-only, ' +
        'only the workspace is writable, /tmp is private, the network may be off. The owner may have to approve ' +
        'the command first. Output (stdout and stderr together) is capped; the exit code is reported.',
      parameters: {
        type: 'object',
        properties: {
          command: { type: 'string', description: 'The shell command line' },
          timeoutSeconds: {
            type: 'integer',
            minimum: 1,
            description: 'Wall-time limit in seconds (capped by the configured maximum)',
          },
        },
        required: ['command'],
        additionalProperties: false,
      },
    },
    approvalSubject(args) {
      const c = args.command;
      return typeof c === 'string' && c.trim() !== '' ? c : undefined;
    },
    async run(args, ctx) {
      const command = requiredString(args, 'command');
      if (command.trim() === '') return { content: 'command is empty', isError: true };
      const sandbox = deps.config().agents.defaults.sandbox;
      const exec = deps.config().tools.exec;
      const requested = optionalInt(args, 'timeoutSeconds', { min: 1 });
      const timeoutSeconds = Math.min(requested ?? sandbox.timeoutSeconds, sandbox.timeoutSeconds);
      const req = {
        command,
        cwd: ctx.workspace,
        network: sandbox.network,
        timeoutMs: timeoutSeconds * 1000,
        maxOutputBytes: sandbox.maxOutputBytes,
        signal: ctx.signal,
        limits: { maxProcesses: exec.maxProcesses, maxMemoryMb: exec.maxMemoryMb },
      };
      try {
        const res = runsOnHost(sandbox.mode, ctx) ? await runOnHost(req, deps.sandbox) : await runSandboxed(req, deps.sandbox);
        const body = res.output.length ? res.output.replace(/\n$/, '') : '(no output)';
        return { content: `${body}\n[exit code ${res.exitCode}]`, isError: res.exitCode !== 0, exitCode: res.exitCode };
      } catch (err) {
        if (err instanceof SandboxUnavailableError) return { content: err.message, isError: true };
        throw err;
      }
    },
  };
}
