// The web chat page: one static HTML document, no build step, no dependencies. The token comes from the URL the
// gateway printed (`#token=…`, kept out of server logs), is remembered in localStorage with a per-browser user id,
// and the fragment is cleared. Untrusted text (model replies, errors) only ever reaches the DOM as text nodes:
// the small Markdown renderer builds elements, never HTML strings. The CSP allows exactly this script and style
// (by hash), so even a future innerHTML slip could not run injected script.
import { createHash } from 'node:crypto';

const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,sans-serif;margin:0;display:flex;flex-direction:column;height:100vh;height:100dvh;background:#f6f6f4;color:#1d1d1f}
header{padding:.5em 1em;background:#24323f;color:#fff;display:flex;align-items:center;gap:.8em}
#st{flex:1;min-width:0;text-align:right;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:.9em}
#st::before{content:'';display:inline-block;width:.6em;height:.6em;border-radius:50%;margin-right:.45em;background:#e0a100}
[data-state=on] #st::before{background:#3c3}[data-state=bad] #st::before{background:#e44}
#clr{background:none;border:1px solid #5b6b7a;color:#dde;border-radius:.4em;font:inherit;font-size:.8em;padding:.1em .6em;cursor:pointer}
#note{padding:.6em 1em;background:#fff3cd;color:#5c4400;border-bottom:1px solid #e8d590}
[data-state=bad] #note{background:#fde2e1;color:#7a1410;border-color:#f2b8b5}
main{flex:1;overflow-y:auto;padding:1em .8em}
#log{display:flex;flex-direction:column;gap:.5em}
.m{width:fit-content;max-width:min(46em,88%);padding:.5em .8em;border-radius:.7em;white-space:pre-wrap;overflow-wrap:anywhere}
.me{background:#d8ecff;align-self:flex-end}.bot{background:#fff;border:1px solid #ddd;align-self:flex-start}
.sys{align-self:center;color:#a33;font-size:.9em;text-align:center}
.pending{opacity:.6}.failed,.unconfirmed{box-shadow:0 0 0 2px #e0a100}.failed{box-shadow:0 0 0 2px #d33}
pre{background:#f3f3f1;border:1px solid #e3e3e0;border-radius:.4em;padding:.5em .7em;margin:.5em 0;overflow-x:auto;white-space:pre}
code{font:.9em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
:not(pre)>code{background:#f0f0ee;padding:.05em .3em;border-radius:.25em}
a{color:#0b5cad}
#typing{margin-top:.5em}#typing i{display:inline-block;width:.45em;height:.45em;margin:0 .12em;border-radius:50%;background:#999;animation:b 1.2s infinite}
#typing i:nth-child(2){animation-delay:.2s}#typing i:nth-child(3){animation-delay:.4s}
@keyframes b{0%,60%,100%{opacity:.25}30%{opacity:1}}
form{display:flex;gap:.5em;padding:.5em;padding-bottom:max(.5em,env(safe-area-inset-bottom));background:#fff;border-top:1px solid #ddd}
textarea{flex:1;font:inherit;font-size:16px;resize:none;height:2.6em;max-height:10em;padding:.45em .6em;border:1px solid #bbb;border-radius:.5em}
#send{font:inherit;padding:0 1.2em;border:0;border-radius:.5em;background:#24323f;color:#fff;cursor:pointer}
#send:disabled{background:#a9b0b8;cursor:not-allowed}
[hidden]{display:none!important}
`;

// String.raw keeps the regex backslashes as written; backticks are spelled \x60 so these stay plain templates.
/** The reply renderer (page script part): `markdown(box, text)` appends elements and text nodes, never HTML. */
export const MARKDOWN_SCRIPT = String.raw`
const FENCE=/\x60\x60\x60[^\n]*\n?([\s\S]*?)(?:\n?\x60\x60\x60|$)/g;
const INLINE=/\x60([^\x60\n]+)\x60|\*\*([^*\n]+)\*\*|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"])/g;
function el(tag,text){const e=document.createElement(tag);e.textContent=text;return e;}
function link(href,label){const a=el('a',label);a.href=href;a.target='_blank';a.rel='noopener noreferrer';return a;}
function inline(box,s){
 let i=0,m;INLINE.lastIndex=0;
 while((m=INLINE.exec(s))){
  if(m.index>i)box.appendChild(document.createTextNode(s.slice(i,m.index)));
  box.appendChild(m[1]!==undefined?el('code',m[1]):m[2]!==undefined?el('strong',m[2]):link(m[4]||m[5],m[3]||m[5]));
  i=INLINE.lastIndex;
 }
 if(i<s.length)box.appendChild(document.createTextNode(s.slice(i)));
}
function markdown(box,s){
 let i=0,m;FENCE.lastIndex=0;
 while((m=FENCE.exec(s))){
  inline(box,s.slice(i,m.index).replace(/\n\n?$/,''));
  const pre=document.createElement('pre');pre.appendChild(el('code',m[1]));box.appendChild(pre);
  i=FENCE.lastIndex;for(let k=0;k<2&&s[i]==='\n';k++)i++;
 }
 inline(box,s.slice(i));
}
`;

const SCRIPT = "\n'use strict';" + MARKDOWN_SCRIPT + String.raw`
const $=(id)=>document.getElementById(id);
const main=$('main'),log=$('log'),st=$('st'),note=$('note'),t=$('t'),send=$('send'),typing=$('typing');
const MAX_TEXT=16000,HISTORY=100,pending=new Map();
let token='',user=localStorage.getItem('sy_user'),ws=null,state='',retry=0,refused=0,retryAt=0,tick=0,helloTimer=0,typingTimer=0;
if(!user){const b=new Uint8Array(8);crypto.getRandomValues(b);user='u-'+Array.from(b,(x)=>(x%36).toString(36)).join('');localStorage.setItem('sy_user',user);}
function takeToken(){
 const q=new URLSearchParams(location.hash.slice(1)||location.search.slice(1));
 if(q.get('token'))localStorage.setItem('sy_token',q.get('token'));
 if(location.hash||location.search)history.replaceState(null,'',location.pathname);
 token=localStorage.getItem('sy_token')||'';
}
function setState(s,short,long){state=s;document.body.dataset.state=s;st.textContent=short;note.textContent=long||'';note.hidden=!long;send.disabled=s!=='on';}
function near(){return main.scrollHeight-main.scrollTop-main.clientHeight<80;}
function bubble(cls){const d=document.createElement('div');d.className='m '+cls;log.appendChild(d);return d;}
function show(e){
 const stick=e.c==='me'||near(),d=bubble(e.c);
 if(e.c==='bot'&&e.f!=='plain')markdown(d,e.t);else d.textContent=e.t;
 if(stick)main.scrollTop=main.scrollHeight;
 return d;
}
function saved(){try{const h=JSON.parse(localStorage.getItem('sy_log')||'[]');return Array.isArray(h)?h:[];}catch(err){console.warn('web chat: saved history unreadable, starting fresh',err);return [];}}
function remember(e){
 const h=saved();if(e.id&&h.some((x)=>x.id===e.id))return;h.push(e);
 try{localStorage.setItem('sy_log',JSON.stringify(h.slice(-HISTORY)));}catch(err){console.warn('web chat: could not save history',err);}
}
function sys(text){const stick=near();bubble('sys').textContent=text;if(stick)main.scrollTop=main.scrollHeight;}
function showTyping(){const stick=near();typing.hidden=false;if(stick)main.scrollTop=main.scrollHeight;clearTimeout(typingTimer);typingTimer=setTimeout(hideTyping,12000);}
function hideTyping(){typing.hidden=true;clearTimeout(typingTimer);}
function schedule(){
 const wait=Math.min(10,2**retry++);retryAt=Date.now()+wait*1000;clearInterval(tick);
 const upd=()=>{const s=Math.max(0,Math.ceil((retryAt-Date.now())/1000));if(s===0){clearInterval(tick);connect();}else setState('wait','offline','The gateway cannot be reached. Retrying in '+s+' s… (messages you type now can be sent once it is back)');};
 upd();tick=setInterval(upd,1000);
}
function refusedToken(){
 setState('bad','token refused','The gateway refused this page\'s token. Open the web chat URL the gateway printed when it started (http://…/#token=…); the token changes when the gateway-token file or gateway.auth.token changes.');
}
function onFrame(data){
 let f;try{f=JSON.parse(data);}catch(err){console.warn('web chat: ignored a frame that is not JSON',err);return;}
 if(f.type==='hello'){clearTimeout(helloTimer);retry=0;refused=0;if(f.userId&&f.userId!==user){user=f.userId;localStorage.setItem('sy_user',user);}setState('on','connected as '+user);}
 else if(f.type==='message'){hideTyping();const e={c:'bot',t:String(f.text),f:f.format,id:f.messageId};remember(e);show(e);}
 else if(f.type==='typing')showTyping();
 else if(f.type==='ack'){const d=pending.get(f.id);if(d){d.classList.remove('pending');pending.delete(f.id);}}
 else if(f.type==='error'){const d=f.id&&pending.get(f.id);if(d){d.classList.remove('pending');d.classList.add('failed');pending.delete(f.id);}sys(String(f.error));}
}
function connect(){
 clearInterval(tick);
 if(!token)return setState('bad','no token','This page has no gateway token. Open the web chat URL the gateway printed when it started (http://…/#token=…).');
 if(ws)return;
 setState('wait',retry?'reconnecting…':'connecting…',retry?'The gateway cannot be reached. Reconnecting now…':'');
 const s=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/ws?token='+encodeURIComponent(token)+'&user='+encodeURIComponent(user));
 let opened=false;ws=s;
 // The channel greets every socket at once; silence means the gateway runs without web chat, so retrying is useless.
 s.onopen=()=>{opened=true;helloTimer=setTimeout(()=>{ws=null;s.onclose=null;s.close();setState('bad','no web chat','The gateway accepted the connection but does not run the web chat. Set channels.webchat.enabled to true in switchyard.json, restart the gateway, then reload this page.');},8000);};
 s.onmessage=(ev)=>onFrame(ev.data);
 s.onclose=()=>{
  if(ws!==s)return;ws=null;clearTimeout(helloTimer);hideTyping();
  if(pending.size){for(const d of pending.values()){d.classList.remove('pending');d.classList.add('unconfirmed');d.title='not confirmed by the gateway';}pending.clear();sys('The connection dropped before the gateway confirmed your last message; if no answer comes, send it again.');}
  if(opened)return schedule();
  // A failed upgrade gives the page no status code. If the gateway answers plain HTTP, it refused the socket,
  // which it does only for a wrong token; retrying would not help.
  fetch('/healthz',{cache:'no-store'}).then(()=>{if(++refused>=2)refusedToken();else schedule();},()=>{refused=0;schedule();});
 };
}
$('f').onsubmit=(e)=>{
 e.preventDefault();const text=t.value.replace(/\s+$/,'');if(!text.trim())return;
 if(state!=='on'){if(state==='wait'&&!ws){retry=0;connect();}t.focus();return;}
 if(text.length>MAX_TEXT)return sys('That message is '+text.length+' characters; the limit is '+MAX_TEXT+'.');
 const id='c'+Date.now().toString(36)+Math.random().toString(36).slice(2,8);
 ws.send(JSON.stringify({type:'message',id,text}));
 const me={c:'me',t:text,id};remember(me);const d=show(me);d.classList.add('pending');pending.set(id,d);
 t.value='';grow();t.focus();
};
function grow(){t.style.height='';t.style.height=Math.min(t.scrollHeight+2,160)+'px';}
t.oninput=grow;
t.onkeydown=(e)=>{if(e.key==='Enter'&&!e.shiftKey&&!e.isComposing){e.preventDefault();$('f').requestSubmit();}};
$('clr').onclick=()=>{if(!confirm('Clear this page\'s copy of the conversation? The agent keeps its session (send /new to start over).'))return;localStorage.removeItem('sy_log');log.textContent='';};
window.addEventListener('hashchange',()=>{takeToken();if(ws)ws.close();else{retry=0;refused=0;connect();}});
window.addEventListener('online',()=>{if(state==='wait'&&!ws){retry=0;connect();}});
takeToken();
for(const e of saved())show(e);
main.scrollTop=main.scrollHeight;
connect();
`;

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
const ICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='4' fill='%2324323f'/%3E%3C/svg%3E";

/** Served with the page: only this page's own script and style run; the socket goes to the same origin. */
export const WEBCHAT_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const WEBCHAT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,interactive-widget=resizes-content">
<title>Switchyard</title><link rel="icon" href="${ICON}">
<style>${STYLE}</style></head><body data-state="wait">
<header><b>Switchyard</b><span id="st" role="status">connecting…</span><button id="clr" type="button" title="Clear this page's copy of the conversation">Clear</button></header>
<div id="note" role="alert" hidden></div>
<main id="main"><div id="log" aria-live="polite"></div><div id="typing" class="m bot" hidden aria-label="the agent is typing"><i></i><i></i><i></i></div></main>
<form id="f"><textarea id="t" rows="1" placeholder="Message (Shift+Enter: new line)" aria-label="Message"></textarea><button id="send" disabled>Send</button></form>
<script>${SCRIPT}</script></body></html>`;
