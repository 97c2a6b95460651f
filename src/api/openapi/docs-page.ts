/**
 * `/docs`: the OpenAPI document rendered as one self-contained page (no script or style from
 * elsewhere): each operation with its permission, parameters, body and answer schemas.
 */
export const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Argus API</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0 auto; max-width: 1000px; padding: 16px;
    color: #1d2330; }
  h2 { margin-top: 28px; border-bottom: 1px solid #e3e5ea; }
  details { margin: 6px 0; border: 1px solid #e3e5ea; border-radius: 6px; padding: 6px 10px; }
  summary { cursor: pointer; }
  .method { display: inline-block; width: 60px; font-weight: 600; text-transform: uppercase; }
  code, pre { font: 12px ui-monospace, monospace; }
  pre { background: #f4f5f7; padding: 8px; overflow: auto; }
  table { border-collapse: collapse; } td, th { padding: 2px 8px; text-align: left; }
</style>
</head>
<body>
<h1>Argus northbound API</h1>
<p id="info"></p>
<p><a href="/openapi.json">openapi.json</a> (OpenAPI 3.1)</p>
<div id="operations"></div>
<script>
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
const schemaBlock = (title, schema) =>
  schema === undefined ? '' : el('div', {}, el('strong', { textContent: title }),
    el('pre', { textContent: JSON.stringify(schema, null, 2) }));

fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('info').textContent = doc.info.description;
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ['Other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op });
    }
  }
  const root = document.getElementById('operations');
  for (const [tag, ops] of byTag) {
    root.append(el('h2', { textContent: tag }));
    for (const { path, method, op } of ops) {
      const params = (op.parameters || []).map((p) => el('tr', {},
        el('td', {}, el('code', { textContent: p.name })), el('td', { textContent: p.in }),
        el('td', { textContent: p.required ? 'required' : '' }),
        el('td', {}, el('code', { textContent: JSON.stringify(p.schema) }))));
      const body = op.requestBody && op.requestBody.content['application/json'].schema;
      const ok = op.responses['200'].content || {};
      const answer = ok['application/json'] && ok['application/json'].schema;
      root.append(el('details', {},
        el('summary', {}, el('span', { className: 'method', textContent: method }),
          el('code', { textContent: path }), ' ', op.summary),
        el('p', { textContent: 'Auth: ' + (op.security.length ? Object.keys(op.security[0])[0]
          : 'none')
          + (op['x-argus-permission'] ? ' · permission ' + op['x-argus-permission'] : '') }),
        params.length ? el('table', {}, ...params) : '',
        schemaBlock('Body', body), schemaBlock('Answer', answer)));
    }
  }
});
</script>
</body>
</html>
`;
