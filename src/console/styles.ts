/** The console's stylesheet, `console.css`: one layout from phone (390 px) to desktop. */
export const consoleCss = String.raw`
:root { --ink: #1d2330; --muted: #667085; --line: #e3e5ea; --bg: #f4f5f7; --accent: #1f5fbf;
  --ok: #0a7d36; --bad: #b42318; --warn: #b54708; font: 14px/1.4 system-ui, sans-serif;
  color: var(--ink); }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; background: var(--ink);
  color: #fff; padding: 8px 16px; }
header .brand { font-weight: 700; font-size: 16px; }
#nav { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; flex: 1; }
nav { display: flex; gap: 4px; flex: 1; }
nav a { color: #cfd6e4; text-decoration: none; padding: 6px 10px; border-radius: 4px; }
nav a[aria-current] { background: #37415a; color: #fff; }
.who { color: #cfd6e4; font-size: 13px; }
main { padding: 12px; }
.card { background: #fff; border-radius: 6px; padding: 12px 16px; border: 1px solid var(--line);
  min-width: 0; }
h1 { font-size: 20px; margin: 0 0 12px; } h2 { font-size: 16px; margin: 0; }
h3 { font-size: 14px; margin: 12px 0 6px; }
button, .button, select, input { font: inherit; }
button, .button { padding: 6px 12px; border: 1px solid #c5cad3; border-radius: 4px;
  background: #fff; color: var(--ink); cursor: pointer; text-decoration: none;
  display: inline-block; }
button:disabled { opacity: .45; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.link { border: 0; padding: 0; background: none; color: var(--accent); text-align: left; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
input, select { padding: 6px 8px; border: 1px solid #c5cad3; border-radius: 4px; background: #fff;
  min-width: 0; }
.field { display: block; margin: 8px 0; } .field span { display: block; margin-bottom: 2px; }
.field input, .field select { width: 100%; }
.inline { display: inline-flex; align-items: center; gap: 4px; }
.error { color: var(--bad); min-height: 1em; margin: 6px 0; }
.muted { color: var(--muted); font-size: 12px; }
.mono { font-family: ui-monospace, monospace; font-size: 12px; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin-bottom: 8px; }
.toolbar h2 { flex: 1; min-width: 8em; }
.badge { display: inline-block; padding: 1px 6px; border-radius: 10px; font-size: 11px;
  font-weight: 600; background: #eef0f3; color: var(--muted); }
.state-online, .state-connected { background: #e3f4e8; color: var(--ok); }
.state-offline, .state-authentication_failed, .state-catalog_error { background: #fdecea;
  color: var(--bad); }
.state-no_authentication_info { background: #fef0e3; color: var(--warn); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
.table-scroll { overflow-x: auto; }
.sign-in { max-width: 420px; margin: 40px auto; }
.tabs { display: flex; gap: 4px; margin-bottom: 8px; }
.tabs [aria-selected=true] { background: var(--ink); color: #fff; }
.devices-page { display: grid; grid-template-columns: 240px minmax(0, 1fr) 340px; gap: 12px;
  align-items: start; }
.devices-page:has(.detail[hidden]) { grid-template-columns: 240px minmax(0, 1fr); }
.tree, .tree ul { list-style: none; margin: 0; padding-left: 12px; } .tree { padding: 8px 0 0; }
.tree-node { border: 0; background: none; padding: 4px 6px; color: var(--ink); }
.tree-node[aria-current] { background: #e8effb; color: var(--accent); font-weight: 600; }
.org-pane input { width: 100%; margin-top: 8px; }
tr.selected { background: #f2f6fd; } .reason { max-width: 24em; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 8px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; overflow-wrap: anywhere; }
.channel-list { list-style: none; padding: 0; }
.channel-list li { padding: 4px 0; display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
dialog.wizard { width: min(640px, 96vw); border: 0; border-radius: 8px; padding: 20px; }
dialog::backdrop { background: rgba(20, 24, 33, .5); }
.camera-settings th { width: 50%; font-weight: 500; }
.actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 12px; flex-wrap: wrap; }
.wall-page { display: grid; grid-template-columns: 260px minmax(0, 1fr); gap: 12px;
  align-items: start; }
.wall-side input { width: 100%; margin: 8px 0; }
.wall-channels, .wall-channels ul { list-style: none; margin: 0; padding: 0; }
.wall-channels ul { padding-left: 8px; }
.wall-device-name { font-weight: 600; margin-top: 8px; }
li.channel { display: flex; align-items: center; gap: 6px; padding: 4px; border-radius: 4px;
  cursor: grab; }
li.channel:hover { background: #f2f4f7; } .channel-name { flex: 1; overflow-wrap: anywhere; }
li.channel .add-to-wall { padding: 0 8px; }
.wall-grid { display: grid; grid-template-columns: repeat(var(--columns, 2), minmax(0, 1fr));
  gap: 4px; }
.tile { position: relative; background: #000; aspect-ratio: 16 / 9; border: 2px solid transparent;
  border-radius: 4px; overflow: hidden; color: #fff; }
.tile.selected { border-color: var(--accent); } .tile.drop { border-color: #f5b400; }
.tile video { width: 100%; height: 100%; object-fit: contain; display: block; }
.tile-bar { position: absolute; left: 0; right: 0; top: 0; display: flex; align-items: center;
  gap: 4px; padding: 2px 4px; background: linear-gradient(rgba(0,0,0,.6), transparent); }
.tile-title { flex: 1; font-size: 12px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.tile-bar button { padding: 0 6px; font-size: 12px; background: rgba(255,255,255,.15); color: #fff;
  border-color: transparent; }
.tile-bar button[aria-pressed=true] { background: var(--accent); }
.tile-status { position: absolute; left: 6px; bottom: 4px; right: 6px; margin: 0; font-size: 12px;
  color: #ffd8d3; }
.ptz-pad { position: absolute; right: 6px; bottom: 6px; background: rgba(20,24,33,.8);
  padding: 6px; border-radius: 6px; display: flex; flex-direction: column; gap: 4px;
  max-width: calc(100% - 12px); }
.ptz-grid { display: grid; grid-template-columns: repeat(3, 32px); gap: 2px; }
.ptz-pad button { padding: 4px 0; color: #fff; background: #37415a; border-color: #4a5570;
  min-width: 32px; touch-action: none; }
.ptz-zoom { display: flex; gap: 2px; align-items: center; }
.ptz-zoom input { width: 60px; padding: 0; }
.ptz-status { margin: 0; font-size: 11px; max-width: 12em; color: #ffd8d3; }
tr.alarm.new { background: #fff6e0; }
@media (max-width: 900px) {
  .devices-page, .devices-page:has(.detail[hidden]), .wall-page {
    grid-template-columns: minmax(0, 1fr); }
  .wall-grid[data-size="9"], .wall-grid[data-size="16"] { gap: 2px; }
}
@media (max-width: 480px) {
  main { padding: 6px; }
  .tile-bar button { padding: 0 4px; }
  .ptz-grid { grid-template-columns: repeat(3, 28px); }
}
`;
