// Public surface of runtime/tools for the gateway and agent loop.
export type { Tool, ToolContext, ToolOutput } from './types.js';
export { builtinTools, type BuiltinToolDeps } from './builtin.js';
export { createToolRunner, argsDigest, type ToolRunner, type ToolRunnerDeps, type ToolRunEvent } from './runner.js';
export { decide, filterTools, configLayers, chatLayers, entryMatches, type PolicyLayer, type PolicyDecision } from './policy.js';
export {
  createApprovals,
  newApprovalId,
  promptRef,
  type Approvals,
  type ApprovalsDeps,
  type ApprovalDecision,
  type ApprovalNotifier,
  type ApprovalReply,
  type ExecApprovalOutcome,
  type ExecApprovalRequest,
} from './approvals.js';
export { parseDecision, parseReply } from './approval-text.js';
export { exactPattern, findMatch, patternMatches } from './exec-allowlist.js';
export {
  runSandboxed,
  runOnHost,
  findBwrap,
  minimalEnv,
  SandboxUnavailableError,
  BWRAP_INSTALL_HINT,
  type SandboxDeps,
  type SandboxRequest,
  type SandboxResult,
} from './sandbox.js';
export { resolveInWorkspace, WorkspacePathError } from './workspace-path.js';
export { blockedReason } from './ip-ranges.js';
