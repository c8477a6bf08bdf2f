// The control page's stylesheet: one column on a phone, a two-column dashboard from 900 px on.
export const CONTROL_STYLE = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d1d1f}
header{position:sticky;top:0;z-index:2;padding:.5em .8em;background:#24323f;color:#fff;display:flex;align-items:center;gap:.6em;flex-wrap:wrap}
header b{font-size:1.05em}
#st{flex:1;min-width:8em;text-align:right;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:.9em}
#st::before{content:'';display:inline-block;width:.6em;height:.6em;border-radius:50%;margin-right:.45em;background:#e0a100}
[data-state=on] #st::before{background:#3c3}[data-state=bad] #st::before{background:#e44}
nav{display:flex;gap:.3em;overflow-x:auto;padding:.4em .6em;background:#fff;border-bottom:1px solid #ddd;position:sticky;top:2.4em;z-index:1}
nav button{font:inherit;border:1px solid #c9ced6;background:#fff;border-radius:1em;padding:.25em .9em;white-space:nowrap;cursor:pointer}
nav button[aria-pressed=true]{background:#24323f;color:#fff;border-color:#24323f}
#note{padding:.6em 1em;background:#fff3cd;color:#5c4400;border-bottom:1px solid #e8d590}
[data-state=bad] #note{background:#fde2e1;color:#7a1410;border-color:#f2b8b5}
main{padding:.6em;display:grid;gap:.8em;grid-template-columns:minmax(0,1fr)}
@media (min-width:900px){main{grid-template-columns:minmax(0,3fr) minmax(0,2fr)}main>section[data-wide]{grid-column:1/-1}}
section{background:#fff;border:1px solid #dde1e6;border-radius:.6em;padding:.6em .8em;min-width:0}
section h2{font-size:1em;margin:.1em 0 .5em;display:flex;gap:.5em;align-items:center}
section h2 small{font-weight:normal;color:#667}
.empty{color:#889;font-style:italic}
.run{border-top:1px solid #eee;padding:.5em 0}.run:first-of-type{border-top:0}
.run .head{display:flex;gap:.5em;flex-wrap:wrap;align-items:baseline;font-size:.9em}
.run .key{font-family:ui-monospace,monospace;font-size:.85em;color:#445;overflow-wrap:anywhere}
.badge{font-size:.75em;padding:.05em .5em;border-radius:1em;background:#e6e9ee;color:#334}
.badge.live{background:#d7f5dd;color:#145c25}.badge.error{background:#fde2e1;color:#7a1410}.badge.waiting{background:#fff3cd;color:#5c4400}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0;padding:.4em .6em;background:#f7f8fa;border-radius:.4em}
.tool{font-family:ui-monospace,monospace;font-size:.8em;margin:.2em 0;padding:.3em .5em;border-left:3px solid #8aa;background:#fafbfc;white-space:pre-wrap;overflow-wrap:anywhere}
.tool.err{border-color:#d33}
.appr{border:1px solid #f0d68a;background:#fffbeb;border-radius:.5em;padding:.5em;margin:.4em 0}
.appr code{display:block;white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #eee;padding:.3em .5em;margin:.3em 0}
.btns{display:flex;gap:.4em;flex-wrap:wrap}
.btns button{font:inherit;border:0;border-radius:.4em;padding:.45em .9em;cursor:pointer;min-height:2.4em}
.allow{background:#1f7a3a;color:#fff}.always{background:#2d5da8;color:#fff}.deny{background:#b3261e;color:#fff}
.btns button:disabled{opacity:.5;cursor:wait}
table{width:100%;border-collapse:collapse;font-size:.85em}
th{text-align:left;color:#667;font-weight:normal;border-bottom:1px solid #eee;padding:.2em .3em}
td{border-bottom:1px solid #f2f2f2;padding:.3em;vertical-align:top;overflow-wrap:anywhere}
td.mono,.mono{font-family:ui-monospace,monospace;font-size:.9em}
.ok{color:#1f7a3a}.bad{color:#b3261e}.warn{color:#8a6100}
#audit div{font-family:ui-monospace,monospace;font-size:.78em;border-bottom:1px solid #f2f2f2;padding:.2em 0;overflow-wrap:anywhere}
[hidden]{display:none!important}
`;
