/**
 * The console's page at `/`: a frame that loads the console's stylesheet and modules
 * (`/console/…`, src/console) and the player libraries (`/assets/mpegts.js`, `hls.js`).
 * Sign-in, devices, the live wall and alarms are drawn by the modules in the browser.
 */
export const consolePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Argus console</title>
<link rel="stylesheet" href="/console/console.css">
</head>
<body>
<header><span class="brand">Argus</span><div id="nav"></div></header>
<main id="app"><noscript>The Argus console needs JavaScript.</noscript></main>
<script src="/assets/mpegts.js"></script>
<script src="/assets/hls.js"></script>
<script type="module" src="/console/main.js"></script>
</body>
</html>
`;
