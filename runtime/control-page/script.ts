// The control page's script: speaks the control protocol as operator, renders runs, approvals, sessions, channels,
// audit and bindings. Untrusted text (model output, tool arguments and results, chat content) only ever reaches the
// DOM as text nodes; handlers are attached from the script (the CSP admits no inline ones).
export const CONTROL_SCRIPT = String.raw`
'use strict';
const $=(id)=>document.getElementById(id);
const st=$('st'),note=$('note'),MAX_RUNS=30,MAX_TEXT=20000,waiting=new Map(),runs=new Map(),approvals=new Map();
let token='',ws=null,retry=0,lastSeq=null,reqN=0,timer=0,refreshTimer=0,replayed=0;
function el(tag,cls,text){const e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined)e.textContent=String(text);return e;}
function clear(n){while(n.firstChild)n.removeChild(n.firstChild);}
function ago(ts){if(!ts)return '—';const s=Math.max(0,Math.round((Date.now()-ts)/1000));return s<60?s+'s ago':s<3600?Math.round(s/60)+'m ago':s<86400?Math.round(s/3600)+'h ago':Math.round(s/86400)+'d ago';}
function size(n){return n<1024?n+' B':n<1048576?(n/1024).toFixed(1)+' KB':(n/1048576).toFixed(1)+' MB';}
function setState(s,short,long){document.body.dataset.state=s;st.textContent=short;note.textContent=long||'';note.hidden=!long;}
function takeToken(){
 const q=new URLSearchParams(location.hash.slice(1));
 if(q.get('token'))localStorage.setItem('sy_control_token',q.get('token'));
 if(location.hash)history.replaceState(null,'',location.pathname);
 token=localStorage.getItem('sy_control_token')||'';
}
function request(method,params){
 if(!ws||ws.readyState!==1)return Promise.resolve({ok:false,error:{code:'closed',message:'not connected'}});
 const id='r'+(++reqN);ws.send(JSON.stringify({type:'req',id,method,params}));
 return new Promise((resolve)=>waiting.set(id,resolve));
}
// ---- runs ----
function runCard(p){
 let r=runs.get(p.runId);
 if(r)return r;
 const box=el('div','run');box.dataset.run=p.runId;
 const head=el('div','head'),badge=el('span','badge live','running'),key=el('span','key',p.sessionKey);
 head.append(badge,el('b','',p.agentId||''),key);
 const tools=el('div'),text=el('div','text');text.hidden=true;
 box.append(head,tools,text);
 const list=$('runs');list.prepend(box);$('runs-empty').hidden=true;
 while(list.children.length>MAX_RUNS)runs.delete(list.lastChild.dataset.run),list.lastChild.remove();
 r={box,badge,tools,text,calls:new Map()};runs.set(p.runId,r);return r;
}
function onAgent(p){
 const r=runCard(p);
 if(p.stream==='assistant'){r.text.hidden=false;if(r.text.textContent.length<MAX_TEXT)r.text.textContent+=p.delta;return;}
 if(p.stream==='tool'){
  let line=r.calls.get(p.callId);
  if(!line){line=el('div','tool');line.dataset.call=p.callId;r.tools.append(line);r.calls.set(p.callId,line);}
  if(p.phase==='start')line.textContent='▶ '+p.tool+' '+JSON.stringify(p.args);
  else if(p.phase==='approval-wait'){line.textContent+='\n⏸ waiting for approval '+p.approvalId;r.badge.className='badge waiting';r.badge.textContent='waiting for approval';}
  else if(p.phase==='denied'){line.classList.add('err');line.textContent+='\n✖ '+p.reason;}
  else if(p.phase==='end'){if(p.isError)line.classList.add('err');line.textContent+='\n◀ '+(p.exitCode!==undefined?'exit '+p.exitCode+' · ':'')+p.resultChars+' chars'+(p.preview?'\n'+p.preview:'');if(r.badge.textContent==='waiting for approval'){r.badge.className='badge live';r.badge.textContent='running';}}
  return;
 }
 if(p.phase==='failover'){r.text.textContent='';r.tools.append(el('div','tool','↻ failover '+p.from+' → '+p.to+' ('+p.reason+')'));}
 else if(p.phase==='end'){r.badge.className='badge';r.badge.textContent=p.delivered?'answered':'done';}
 else if(p.phase==='error'){r.badge.className='badge error';r.badge.textContent=p.kind||'error';r.tools.append(el('div','tool err',p.error));}
}
function onChat(p){
 // The final text replaces what streamed (after a failover the deltas were void anyway).
 if(p.state==='final'){const r=runs.get(p.runId);if(r){r.text.hidden=!p.text;r.text.textContent=String(p.text).slice(0,MAX_TEXT);}}
}
// ---- approvals ----
function renderApproval(a){
 if(approvals.has(a.id)||a.status&&a.status!=='pending')return;
 const box=el('div','appr');box.dataset.approval=a.id;
 box.append(el('div','',a.id+' · '+(a.agentId||'')+' · '+(a.sessionKey||'')));
 box.append(el('code','',a.command||''));
 const btns=el('div','btns'),msg=el('div','mono');
 for(const [label,cls,decision] of [['Allow once','allow','allow-once'],['Always','always','allow-always'],['Deny','deny','deny']]){
  const b=el('button',cls,label);b.type='button';b.dataset.decision=decision;
  b.addEventListener('click',()=>{
   for(const x of btns.children)x.disabled=true;
   request('approvals.resolve',{id:a.id,decision,idempotencyKey:'page-'+a.id+'-'+decision}).then((r)=>{msg.textContent=r.ok?r.payload.message:r.error.message;if(!r.ok)for(const x of btns.children)x.disabled=false;});
  });
  btns.append(b);
 }
 box.append(btns,msg);approvals.set(a.id,box);$('approvals').append(box);$('approvals-empty').hidden=true;count();
}
function resolved(p){const box=approvals.get(p.id);if(!box)return;approvals.delete(p.id);box.remove();$('approvals-empty').hidden=approvals.size>0;count();}
function count(){$('napp').textContent=approvals.size?'('+approvals.size+')':'';}
// ---- lists ----
function rows(tbody,items,cells){clear(tbody);for(const it of items){const tr=el('tr');for(const [text,cls] of cells(it))tr.append(el('td',cls||'',text));tbody.append(tr);}}
async function refreshSessions(){
 const r=await request('sessions.list',{limit:200});if(!r.ok)return;
 rows($('sessions'),r.payload.sessions,(s)=>[[s.key,'mono'],[s.agentId],[s.channel||'—'],[(s.active?'● ':'')+ago(s.updatedAt)+(s.backlog?' +'+s.backlog:'')],[size(s.bytes)]]);
 $('nsess').textContent='('+r.payload.sessions.length+')';
}
const channelState=new Map();
function renderChannels(){
 rows($('channels'),[...channelState.values()],(c)=>[[c.channel+':'+c.accountId,'mono'],[c.state,c.state==='connected'?'ok':c.state==='error'?'bad':'warn'],[ago(c.lastEventAt)],[c.lastError?c.lastError.message+' ('+ago(c.lastError.at)+')':'', 'bad']]);
}
async function refreshChannels(){const r=await request('channels.status',{});if(!r.ok)return;channelState.clear();for(const c of r.payload.channels)channelState.set(c.channel+':'+c.accountId,c);renderChannels();}
async function refreshAudit(){
 const r=await request('audit.tail',{limit:100});if(!r.ok)return;const box=$('audit');clear(box);
 for(const a of r.payload.records.slice().reverse()){const {ts,kind,...rest}=a;box.append(el('div','',new Date(ts).toISOString().slice(5,19).replace('T',' ')+' '+kind+' '+JSON.stringify(rest)));}
}
async function refreshBindings(){
 const r=await request('bindings.list',{});if(!r.ok)return;
 rows($('bindings'),r.payload.bindings,(b)=>[[b.id,'mono'],[b.agentId],[JSON.stringify(b.match),'mono'],[b.source+(b.createdBy?' · '+b.createdBy:'')]]);
}
async function refreshApprovals(){const r=await request('approvals.list',{});if(!r.ok)return;for(const a of r.payload.approvals)renderApproval(a);}
function refreshAll(){refreshSessions();refreshChannels();refreshAudit();refreshBindings();refreshApprovals();}
function soon(){clearTimeout(refreshTimer);refreshTimer=setTimeout(()=>{refreshSessions();refreshAudit();},500);}
// ---- connection ----
function onEvent(f){
 const p=f.payload||{};
 switch(f.event){
  case 'agent':return onAgent(p);
  case 'chat':return onChat(p);
  case 'approval.requested':return renderApproval(p);
  case 'approval.resolved':soon();return resolved(p);
  case 'session.changed':return soon();
  case 'channel.status':channelState.set(p.channel+':'+p.accountId,Object.assign(channelState.get(p.channel+':'+p.accountId)||{},p));return renderChannels();
  case 'shutdown':return setState('wait','gateway stopping','The gateway is stopping or restarting; this page reconnects and catches up by itself.');
 }
}
function onFrame(data){
 let f;try{f=JSON.parse(data);}catch(err){console.warn('control: ignored a frame that is not JSON',err);return;}
 if(typeof f.seq==='number'){lastSeq=f.seq;$('seq').textContent='seq '+f.seq;}
 if(f.type==='event'){if(f.event!=='connect.challenge')onEvent(f);return;}
 if(f.type==='res'){const w=waiting.get(f.id);if(w){waiting.delete(f.id);w(f);}}
}
function schedule(){
 const wait=Math.min(10,2**retry++);clearTimeout(timer);
 setState('wait','offline','The gateway cannot be reached; retrying in '+wait+' s. Missed events are replayed when it is back.');
 timer=setTimeout(connect,wait*1000);
}
function connect(){
 clearTimeout(timer);
 if(!token)return setState('bad','no token','Open this page as /control#token=<gateway token> (the token is in the gateway-token file of the state directory).');
 if(ws)return;
 setState('wait',retry?'reconnecting…':'connecting…');
 const s=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/ws');
 const resumeFrom=lastSeq;let hello=false;ws=s;
 s.onopen=()=>request('connect',{minProtocol:1,maxProtocol:1,client:{id:'control-page',version:'1'},role:'operator',auth:{token},...(resumeFrom!==null?{resumeFrom}:{})}).then((r)=>{
  if(!r.ok){s.onclose=null;ws=null;s.close();return setState('bad','refused',r.error.message);}
  hello=true;retry=0;
  if(resumeFrom===null||!r.payload.resume||!r.payload.resume.complete){if(lastSeq===null)lastSeq=r.payload.seq;}
  replayed+=r.payload.resume?r.payload.resume.replayed:0;
  setState('on','connected · '+r.payload.server.version+(replayed?' · '+replayed+' events replayed':''));
  $('st').dataset.replayed=String(replayed);
  refreshAll();
 });
 s.onmessage=(ev)=>onFrame(ev.data);
 s.onclose=(ev)=>{
  if(ws!==s)return;ws=null;
  for(const w of waiting.values())w({ok:false,error:{code:'closed',message:'the connection closed'}});waiting.clear();
  if(!hello&&ev.code===1008)return setState('bad','token refused','The gateway refused this token. Open /control#token=<the gateway token> again.');
  schedule();
 };
}
for(const b of document.querySelectorAll('nav button'))b.addEventListener('click',()=>{
 const want=b.dataset.show;for(const x of document.querySelectorAll('nav button'))x.setAttribute('aria-pressed',String(x===b));
 for(const sec of document.querySelectorAll('main>section'))sec.hidden=want!=='all'&&sec.id!=='sec-'+want;
});
$('refresh').addEventListener('click',refreshAll);
window.addEventListener('online',()=>{if(!ws){retry=0;connect();}});
window.addEventListener('hashchange',()=>{takeToken();lastSeq=null;if(ws)ws.close();else connect();});
takeToken();
connect();
`;
