// The web chat page: one static HTML document, no build step. The token comes from the URL the gateway printed
// (`#token=…`, kept out of server logs) and is remembered in localStorage with a per-browser user id.
export const WEBCHAT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchyard</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;display:flex;flex-direction:column;height:100vh;background:#f6f6f4}
header{padding:.6em 1em;background:#24323f;color:#fff;display:flex;justify-content:space-between}
#log{flex:1;overflow-y:auto;padding:1em}
.m{max-width:46em;margin:.4em 0;padding:.5em .8em;border-radius:.6em;white-space:pre-wrap;word-wrap:break-word}
.me{background:#d8ecff;margin-left:auto}.bot{background:#fff;border:1px solid #ddd}.sys{color:#a33;font-size:.9em}
form{display:flex;padding:.6em;gap:.5em;background:#fff;border-top:1px solid #ddd}
textarea{flex:1;font:inherit;resize:none;height:3em}button{font:inherit;padding:0 1.2em}
</style></head><body>
<header><b>Switchyard</b><span id="st">connecting…</span></header>
<div id="log"></div>
<form id="f"><textarea id="t" placeholder="Message (Enter sends, Shift+Enter newline)"></textarea><button>Send</button></form>
<script>
const q=new URLSearchParams(location.hash.slice(1)||location.search.slice(1));
if(q.get('token')){localStorage.setItem('sy_token',q.get('token'));history.replaceState(null,'',location.pathname);}
const token=localStorage.getItem('sy_token')||'';
let user=localStorage.getItem('sy_user');
if(!user){user='u-'+Math.random().toString(36).slice(2,14);localStorage.setItem('sy_user',user);}
const log=document.getElementById('log'),st=document.getElementById('st'),t=document.getElementById('t');
let ws,typingEl;
function add(cls,text){if(typingEl){typingEl.remove();typingEl=null;}const d=document.createElement('div');d.className='m '+cls;d.textContent=text;log.appendChild(d);log.scrollTop=log.scrollHeight;return d;}
function connect(){
 if(!token){st.textContent='no token: open the URL the gateway printed';return;}
 ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/ws?token='+encodeURIComponent(token)+'&user='+encodeURIComponent(user));
 ws.onopen=()=>{st.textContent='connected as '+user;};
 ws.onclose=()=>{st.textContent='disconnected, retrying…';setTimeout(connect,2000);};
 ws.onmessage=(ev)=>{let f;try{f=JSON.parse(ev.data);}catch{return;}
  if(f.type==='message')add('bot',f.text);
  else if(f.type==='typing'){if(!typingEl)typingEl=add('bot','…');}
  else if(f.type==='error')add('sys',f.error);};
}
document.getElementById('f').onsubmit=(e)=>{e.preventDefault();const text=t.value.trim();if(!text||!ws||ws.readyState!==1)return;
 const id='c'+Date.now().toString(36)+Math.random().toString(36).slice(2,6);ws.send(JSON.stringify({type:'message',id,text}));add('me',text);t.value='';};
t.onkeydown=(e)=>{if(e.key==='Enter'&&!e.shiftKey){e.preventDefault();document.getElementById('f').requestSubmit();}};
connect();
</script></body></html>`;
