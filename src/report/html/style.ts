/** The report's stylesheet: system fonts only, nothing fetched. */
export const REPORT_CSS = `
:root{--fg:#1d2330;--dim:#667085;--line:#e3e6ec;--bg:#f6f7f9;--card:#fff;--good:#157f3b;--good-bg:#e6f4ea;--bad:#b42318;--bad-bg:#fdecea;
--warn:#a15c00;--warn-bg:#fff4e0;--accent:#2f5bd3;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
a,.link{color:var(--accent);text-decoration:none;cursor:pointer}a:hover,.link:hover{text-decoration:underline}
code,pre{font-family:var(--mono);font-size:12.5px}
pre{white-space:pre-wrap;word-break:break-word;margin:0}
h1{font-size:18px;margin:0}h2{font-size:16px;margin:24px 0 8px}h3{font-size:14px;margin:12px 0 6px}h4{font-size:13px;margin:10px 0 4px}
.dim{color:var(--dim)}
.top{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid var(--line);padding:10px 24px 0}
.top .sub{color:var(--dim);margin:2px 0 8px;font-size:13px}
nav{display:flex;gap:4px}
nav a{padding:7px 14px;border-radius:6px 6px 0 0;color:var(--fg);border:1px solid transparent;border-bottom:none}
nav a.active{background:var(--bg);border-color:var(--line);font-weight:600}
nav .count{color:var(--dim);font-weight:400;margin-left:4px}
main{padding:16px 24px 48px;max-width:1280px}
[hidden]{display:none!important}
.banner{border-radius:8px;padding:14px 18px;border:1px solid var(--line);background:var(--card)}
.banner .status{font-size:22px;font-weight:700;text-transform:uppercase;letter-spacing:.02em}
.banner .exit{font-size:13px;font-weight:500;margin-left:12px;color:var(--dim);text-transform:none}
.banner .method{color:var(--dim);margin:2px 0 10px}
.banner.good{border-color:#9fd3ae;background:var(--good-bg)}.banner.good .status{color:var(--good)}
.banner.bad{border-color:#f1aca6;background:var(--bad-bg)}.banner.bad .status{color:var(--bad)}
.banner.warn{border-color:#f3c77a;background:var(--warn-bg)}.banner.warn .status{color:var(--warn)}
.stats{display:flex;flex-wrap:wrap;gap:8px;margin:0}
.stats div{background:rgba(255,255,255,.7);border:1px solid var(--line);border-radius:6px;padding:4px 10px;min-width:84px}
.stats dt{font-size:11px;color:var(--dim);text-transform:uppercase}.stats dd{margin:0;font-weight:600;font-size:15px}
.stats .bad dd{color:var(--bad)}.stats .good dd{color:var(--good)}.stats .warn dd{color:var(--warn)}
.reasons li{margin:2px 0}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{font-size:12px;color:var(--dim);font-weight:600;background:#fafbfc}
.splits{max-width:720px}.change-worse{color:var(--bad)}.change-better{color:var(--good)}
.lists{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px;margin-top:12px}
.list,.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.list h3{margin-top:0}.list.bad h3{color:var(--bad)}.list.good h3{color:var(--good)}.list.warn h3{color:var(--warn)}
.list ul,.passset ul{margin:0;padding-left:18px;max-height:24em;overflow:auto}.list li{margin:2px 0;word-break:break-word}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:12px}
.run dl{display:grid;grid-template-columns:110px 1fr;gap:2px 10px;margin:0}.run dt{color:var(--dim)}.run dd{margin:0;word-break:break-word}
.passset{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.cell{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.cell.bad h3{color:var(--bad)}.cell.good h3{color:var(--good)}.cell .big{font-size:22px;font-weight:700;margin:0}
.toolbar{display:flex;gap:8px;align-items:center;margin-bottom:10px;flex-wrap:wrap}
.toolbar input{flex:1;min-width:240px;padding:7px 10px;border:1px solid var(--line);border-radius:6px;font:inherit}
.toolbar select,.pager button{padding:6px 10px;border:1px solid var(--line);border-radius:6px;background:#fff;font:inherit}
.pager{display:flex;gap:8px;align-items:center;margin:10px 0}.pager button:disabled{opacity:.4}
.tasks{table-layout:fixed}.tasks tbody tr{cursor:pointer}.tasks tbody tr:hover{background:#f0f4ff}
.tasks td.name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.tasks td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#eef0f4;color:var(--dim);white-space:nowrap}
.badge.regression,.badge.lost{background:var(--bad-bg);color:var(--bad);font-weight:600}
.badge.fix,.badge.gained{background:var(--good-bg);color:var(--good);font-weight:600}
.badge.invalid,.badge.undecided,.badge.flaky{background:var(--warn-bg);color:var(--warn)}
.dots{white-space:nowrap}.dot{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:2px;vertical-align:-1px}
.o-pass{background:#2e9e56}.o-fail{background:#d63b2f}.o-error{background:#e59b1a}
.tag{display:inline-block;padding:0 6px;border-radius:4px;background:#eef0f4;font-size:12px}
.back{display:inline-block;margin-bottom:8px}
.trials tr{cursor:pointer}.trials tr.selected{background:#e8efff}.trials tr:hover{background:#f0f4ff}
.trials td.reason{font-family:var(--mono);font-size:12px;word-break:break-word}
.timeline{list-style:none;margin:0;padding:0;background:var(--card);border:1px solid var(--line);border-radius:8px}
.ev{display:grid;grid-template-columns:64px 84px 1fr;gap:8px;padding:6px 10px;border-bottom:1px solid var(--line)}
.ev:last-child{border-bottom:none}.ev .t{color:var(--dim);font-variant-numeric:tabular-nums;text-align:right}
.ev .k{font-size:12px;font-weight:600;text-transform:uppercase;color:var(--dim)}
.ev.model-response .k{color:#6941c6}.ev.tool-call .k{color:var(--accent)}.ev.tool-result .k{color:var(--good)}
.ev.bad{background:var(--bad-bg)}.ev.bad .k{color:var(--bad)}.ev.harness-step .k{color:#0e7090}
.ev.model-request{padding-top:2px;padding-bottom:2px;font-size:12px;color:var(--dim)}
.ev pre{background:#f6f7f9;border:1px solid var(--line);border-radius:4px;padding:4px 6px;max-height:18em;overflow:auto;margin-top:3px}
.ev .meta{color:var(--dim);font-size:12px}.ev.omitted{display:block;text-align:center;color:var(--warn);background:var(--warn-bg)}
.sbs{display:grid;grid-template-columns:36px 1fr 1fr;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
.sbs>div{padding:6px 8px;border-bottom:1px solid var(--line);min-width:0}
.sbs .head{font-weight:600;background:#fafbfc}.sbs .n{color:var(--dim);text-align:right;font-variant-numeric:tabular-nums}
.sbs .same{color:var(--dim)}.sbs .gap{background:repeating-linear-gradient(45deg,#fafbfc,#fafbfc 6px,#f1f2f5 6px,#f1f2f5 12px)}
.sbs .diverge{background:#fff8db;border-top:2px solid #e0a800}.sbs .after{background:#fffdf3}
.sbs .marker{grid-column:1/-1;background:#e0a800;color:#fff;font-weight:600;font-size:12px;padding:2px 10px}
.sbs .step .call{font-family:var(--mono);font-size:12.5px;word-break:break-word}.sbs .step .out{font-family:var(--mono);font-size:12px;color:var(--dim);white-space:pre-wrap;word-break:break-word;max-height:8em;overflow:auto}
.sbs .step .notes{font-size:12px;color:#0e7090}.sbs .step.failed .call::after{content:" ✗";color:var(--bad)}
.sbs .end{font-size:12px}
.weakness header{margin-bottom:4px}.weakness h3{margin:4px 0}.rank{font-weight:700;color:var(--dim)}
.impact{display:flex;gap:10px;align-items:center;font-size:12px;color:var(--dim)}.bar{width:160px;height:8px;background:#eef0f4;border-radius:4px;overflow:hidden}
.bar span{display:block;height:100%;background:var(--bad)}
.evidence{background:#f6f7f9;border:1px solid var(--line);border-radius:4px;padding:4px 6px;margin:3px 0}
.weakness,.version{margin-bottom:10px}
.chart-box{margin:8px 0 16px;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 12px;max-width:700px}
.chart{width:100%;height:auto}.chart .grid{stroke:#e3e6ec}.chart .axis{fill:var(--dim);font-size:11px}
.chart .line{fill:none;stroke-width:2.5}.chart .line.validation{stroke:var(--accent)}.chart .line.sealed{stroke:#c4320a;stroke-dasharray:6 4}
.chart .point.validation{fill:var(--accent)}.chart .point.sealed{fill:#c4320a}.chart .value{font-size:11px;font-weight:600}
.chart .value.validation{fill:var(--accent)}.chart .value.sealed{fill:#c4320a}.chart .legend text{font-size:12px;fill:var(--fg)}
.chart .swatch.validation{fill:var(--accent)}.chart .swatch.sealed{fill:#c4320a}
figcaption{color:var(--dim);font-size:12px}
.splits-line .split{margin-right:14px}
.proposals{margin:6px 0;padding-left:18px}
.diff{font-family:var(--mono);font-size:12.5px;border:1px solid var(--line);border-radius:4px;overflow:hidden}
.diff-line{padding:2px 8px;white-space:pre-wrap;word-break:break-word}.diff-line .mark{display:inline-block;width:16px;font-weight:700}
.diff-line.add{background:#e6f4ea}.diff-line.remove{background:#fdecea}.diff-line.set{background:#fff4e0}
footer{margin-top:32px;color:var(--dim);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
`
