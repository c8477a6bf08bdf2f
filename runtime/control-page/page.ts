// The control page (`/control#token=<gateway token>`): sessions, live runs, approvals, channels, audit and bindings,
// over the control protocol as operator. One static document like the web chat page: no build step, no external
// resources, a CSP that admits exactly this script and style by hash, no inline handlers.
import { createHash } from 'node:crypto';
import { CONTROL_SCRIPT } from './script.js';
import { CONTROL_STYLE } from './style.js';

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
const ICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='4' fill='%2324323f'/%3E%3C/svg%3E";

export const CONTROL_CSP = [
  "default-src 'none'",
  `script-src ${sha256(CONTROL_SCRIPT)}`,
  `style-src ${sha256(CONTROL_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const section = (id: string, title: string, body: string, wide = false) => `<section id="sec-${id}"${wide ? ' data-wide' : ''}><h2>${title}</h2>${body}</section>`;

export const CONTROL_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchyard control</title><link rel="icon" href="${ICON}">
<style>${CONTROL_STYLE}</style></head><body data-state="wait">
<header><b>Switchyard control</b><span id="seq" class="mono"></span><span id="st" role="status">connecting…</span></header>
<div id="note" role="alert" hidden></div>
<nav aria-label="sections"><button type="button" data-show="all" aria-pressed="true">All</button><button type="button" data-show="runs">Runs</button><button type="button" data-show="approvals">Approvals <span id="napp"></span></button><button type="button" data-show="sessions">Sessions</button><button type="button" data-show="channels">Channels</button><button type="button" data-show="audit">Audit</button><button type="button" data-show="bindings">Bindings</button><button type="button" id="refresh">Refresh</button></nav>
<main>
${section('approvals', 'Approvals', '<p id="approvals-empty" class="empty">Nothing waiting.</p><div id="approvals"></div>')}
${section('runs', 'Live runs', '<p id="runs-empty" class="empty">No runs since this page opened.</p><div id="runs"></div>')}
${section('sessions', 'Sessions <small id="nsess"></small>', '<table><thead><tr><th>session</th><th>agent</th><th>channel</th><th>last activity</th><th>size</th></tr></thead><tbody id="sessions"></tbody></table>', true)}
${section('channels', 'Channels', '<table><thead><tr><th>channel</th><th>state</th><th>last event</th><th>last error</th></tr></thead><tbody id="channels"></tbody></table>')}
${section('bindings', 'Bindings', '<table><thead><tr><th>id</th><th>agent</th><th>match</th><th>source</th></tr></thead><tbody id="bindings"></tbody></table>')}
${section('audit', 'Audit log', '<div id="audit"></div>', true)}
</main>
<script>${CONTROL_SCRIPT}</script></body></html>`;
