// The web chat page: one static HTML document, no build step, no dependencies. It speaks the control protocol
// (docs/protocol.md): the token comes from the link (`#token=…`, kept out of server logs: a personal web chat link,
// or the gateway's own for the owner), is remembered in localStorage, and the fragment is cleared. The conversation
// comes from the gateway (sessions.history), and after a dropped connection the missed events are replayed
// (resumeFrom), so every tab of a user shows the same conversation. Untrusted text (model replies, errors) only ever reaches the DOM as text nodes:
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
.pending{opacity:.6}.draft{opacity:.75}.failed,.unconfirmed{box-shadow:0 0 0 2px #e0a100}.failed{box-shadow:0 0 0 2px #d33}
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

const SCRIPT =
  "\n'use strict';" +
  MARKDOWN_SCRIPT +
  String.raw`
const $=(id)=>document.getElementById(id);
const main=$('main'),log=$('log'),st=$('st'),note=$('note'),t=$('t'),send=$('send'),typing=$('typing');
const MAX_TEXT=16000,pending=new Map(),shown=new Set(),waiting=new Map();
let token='',user='',ws=null,state='',retry=0,lastSeq=null,tick=0,typingTimer=0,reqN=0,draft=null,ready=false,held=[];
function takeToken(){
 const q=new URLSearchParams(location.hash.slice(1)||location.search.slice(1));
 if(q.get('token'))localStorage.setItem('sy_token',q.get('token'));
 if(location.hash||location.search)history.replaceState(null,'',location.pathname);
 token=localStorage.getItem('sy_token')||'';
}
function setState(s,short,long){state=s;document.body.dataset.state=s;st.textContent=short;note.textContent=long||'';note.hidden=!long;send.disabled=s!=='on';}
function near(){return main.scrollHeight-main.scrollTop-main.clientHeight<80;}
function bubble(cls){const d=document.createElement('div');d.className='m '+cls;log.insertBefore(d,draft&&draft.parentNode===log?draft:null);return d;}
function show(e){
 if(e.id){if(shown.has(e.id))return null;shown.add(e.id);}
 const stick=e.c==='me'||near(),d=bubble(e.c);
 if(e.c==='bot'&&e.f!=='plain')markdown(d,e.t);else d.textContent=e.t;
 if(stick)main.scrollTop=main.scrollHeight;
 return d;
}
function sys(text){const stick=near();bubble('sys').textContent=text;if(stick)main.scrollTop=main.scrollHeight;}
function showTyping(){const stick=near();typing.hidden=false;if(stick)main.scrollTop=main.scrollHeight;clearTimeout(typingTimer);typingTimer=setTimeout(hideTyping,12000);}
function hideTyping(){typing.hidden=true;clearTimeout(typingTimer);}
function dropDraft(){if(draft){draft.remove();draft=null;}}
function schedule(){
 const wait=Math.min(10,2**retry++);const at=Date.now()+wait*1000;clearInterval(tick);
 const upd=()=>{const s=Math.max(0,Math.ceil((at-Date.now())/1000));if(s===0){clearInterval(tick);connect();}else setState('wait','offline','The gateway cannot be reached. Retrying in '+s+' s… (what you type now can be sent once it is back)');};
 upd();tick=setInterval(upd,1000);
}
function request(method,params){
 const id='r'+(++reqN);
 ws.send(JSON.stringify({type:'req',id,method,params}));
 return new Promise((resolve)=>waiting.set(id,resolve));
}
function onEvent(f){
 const p=f.payload||{};
 if(f.event==='chat.message'){
  if(p.role==='user'){const d=pending.get(p.messageId);if(d){d.classList.remove('pending');pending.delete(p.messageId);}show({c:'me',t:String(p.text),id:p.messageId});}
  else{hideTyping();dropDraft();show({c:'bot',t:String(p.text),f:p.format,id:p.messageId});}
 }
 else if(f.event==='chat.typing')showTyping();
 else if(f.event==='chat'){
  if(p.state==='delta'){hideTyping();if(p.reset||!draft){dropDraft();if(!p.text)return;draft=document.createElement('div');draft.className='m bot draft';log.appendChild(draft);}draft.textContent+=String(p.text);if(near())main.scrollTop=main.scrollHeight;}
  else dropDraft();
 }
 else if(f.event==='shutdown')setState('wait','gateway stopping','The gateway is stopping or restarting; this page reconnects by itself.');
}
async function loadHistory(){
 const r=await request('sessions.history',{limit:200});
 if(!r.ok){sys('Could not load the conversation: '+r.error.message);return;}
 log.textContent='';shown.clear();draft=null;
 for(const m of r.payload.messages)show({c:m.role==='user'?'me':'bot',t:m.text});
 main.scrollTop=main.scrollHeight;
}
async function onHello(h,resumed){
 user=h.auth.userId;retry=0;
 setState('on','connected as '+user);
 if(!resumed||!h.resume||!h.resume.complete){ready=false;await loadHistory();}
 ready=true;
 for(const f of held.splice(0))onEvent(f);
}
function onFrame(data){
 let f;try{f=JSON.parse(data);}catch(err){console.warn('web chat: ignored a frame that is not JSON',err);return;}
 if(typeof f.seq==='number'){lastSeq=f.seq;}
 if(f.type==='event'){
  if(f.event==='connect.challenge')return;
  if(!ready&&f.event!=='shutdown'){held.push(f);return;}
  return onEvent(f);
 }
 if(f.type!=='res')return;
 const w=waiting.get(f.id);if(w){waiting.delete(f.id);w(f);}
}
function refused(msg){
 setState('bad','link refused',msg+' Open the link you were given (http://…/#token=…); ask the owner for a new one if it stopped working.');
}
function connect(){
 clearInterval(tick);
 if(!token)return setState('bad','no token','This page has no access token. Open the web chat link the gateway printed when it started, or the personal link the owner sent you (http://…/#token=…).');
 if(ws)return;
 setState('wait',retry?'reconnecting…':'connecting…',retry?'The gateway cannot be reached. Reconnecting now…':'');
 const s=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/ws');
 let hello=false;ws=s;ready=false;
 const resumeFrom=lastSeq;
 s.onopen=()=>{
  request('connect',{minProtocol:1,maxProtocol:1,client:{id:'webchat-page',version:'1'},role:token.startsWith('wc_')?'webchat':'operator',auth:{token},...(resumeFrom!==null?{resumeFrom}:{})}).then((r)=>{
   if(!r.ok){s.onclose=null;ws=null;s.close();return r.error.code==='protocol_mismatch'?setState('bad','page outdated','This page is older than the gateway: reload it.'):refused(r.error.message);}
   hello=true;if(lastSeq===null||resumeFrom===null)lastSeq=r.payload.seq;onHello(r.payload,resumeFrom!==null);
  });
 };
 s.onmessage=(ev)=>onFrame(ev.data);
 s.onclose=(ev)=>{
  if(ws!==s)return;ws=null;hideTyping();dropDraft();
  for(const w of waiting.values())w({ok:false,error:{code:'closed',message:'the connection closed'}});waiting.clear();
  if(pending.size){for(const d of pending.values()){d.classList.remove('pending');d.classList.add('unconfirmed');d.title='not confirmed by the gateway';}pending.clear();sys('The connection dropped before the gateway confirmed your last message; if no answer comes, send it again.');}
  if(!hello&&ev.code===1008)return refused('The gateway refused this page\'s link.');
  schedule();
 };
}
$('f').onsubmit=(e)=>{
 e.preventDefault();const text=t.value.replace(/\s+$/,'');if(!text.trim())return;
 if(state!=='on'){if(state==='wait'&&!ws){retry=0;connect();}t.focus();return;}
 if(text.length>MAX_TEXT)return sys('That message is '+text.length+' characters; the limit is '+MAX_TEXT+'.');
 const id='c'+Date.now().toString(36)+Math.random().toString(36).slice(2,10);
 const d=show({c:'me',t:text,id});d.classList.add('pending');pending.set(id,d);
 request('chat.send',{message:text,idempotencyKey:id}).then((r)=>{
  const p=pending.get(id);if(!p)return;pending.delete(id);p.classList.remove('pending');
  if(!r.ok&&r.error.code!=='closed'){p.classList.add('failed');sys(r.error.message);}
 });
 t.value='';grow();t.focus();
};
function grow(){t.style.height='';t.style.height=Math.min(t.scrollHeight+2,160)+'px';}
t.oninput=grow;
t.onkeydown=(e)=>{if(e.key==='Enter'&&!e.shiftKey&&!e.isComposing){e.preventDefault();$('f').requestSubmit();}};
$('clr').onclick=()=>{if(!confirm('Clear this page\'s view of the conversation? The agent keeps its session (send /new to start over).'))return;log.textContent='';draft=null;};
window.addEventListener('hashchange',()=>{takeToken();lastSeq=null;if(ws)ws.close();else{retry=0;connect();}});
window.addEventListener('online',()=>{if(state==='wait'&&!ws){retry=0;connect();}});
takeToken();
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
<header><b>Switchyard</b><span id="st" role="status">connecting…</span><button id="clr" type="button" title="Clear this page's view of the conversation">Clear</button></header>
<div id="note" role="alert" hidden></div>
<main id="main"><div id="log" aria-live="polite"></div><div id="typing" class="m bot" hidden aria-label="the agent is typing"><i></i><i></i><i></i></div></main>
<form id="f"><textarea id="t" rows="1" placeholder="Message (Shift+Enter: new line)" aria-label="Message"></textarea><button id="send" disabled>Send</button></form>
<script>${SCRIPT}</script></body></html>`;
