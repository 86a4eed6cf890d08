import fs from 'node:fs';
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';

/** Where `npm run console:build` (Vite) puts the console; the Docker image ships it there too. */
export const CONSOLE_DIST = path.resolve(__dirname, '..', 'web', 'dist');

/** The console's pages (web/src/main.tsx): each URL serves the app, which draws the page. */
export const CONSOLE_PAGES = [
  '/',
  '/models',
  '/models/:id',
  '/training',
  '/training/:id',
  '/deployments',
  '/deployments/:id',
  '/watchdogs',
  '/watchdogs/:specialization',
  '/alerts',
  '/thresholds',
];

/**
 * Everything from our own origin: no CDN, no inline script. Styles allow inline attributes
 * (the charts position their parts with them).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SWAGGER_UI = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const DOCS_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']);

const DOCS_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>NeuroWeaver API</title>
    <link rel="icon" href="/docs/assets/favicon-32x32.png" />
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

const NOT_BUILT = `The console has not been built: run \`npm run console:build\` (npm start builds it when its sources change).\n`;

/**
 * The console (a single-page app) and the API's docs (Swagger UI from the swagger-ui-dist
 * package), both from this origin. Assets are content-hashed, so they are cached for good; the
 * page itself never is, so a new build shows at the next load.
 */
export function createConsoleRoutes(dist = CONSOLE_DIST) {
  const app = new Hono();
  const index = path.join(dist, 'index.html');
  const page = (c: Context) => {
    c.header('Content-Security-Policy', CSP);
    c.header('Cache-Control', 'no-cache');
    if (!fs.existsSync(index)) return c.text(NOT_BUILT, 503);
    return c.html(fs.readFileSync(index, 'utf8'));
  };
  for (const p of CONSOLE_PAGES) app.get(p, page);
  app.use('/assets/*', async (c, next) => {
    await next();
    if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=31536000, immutable');
  });
  app.get('/assets/*', serveStatic({ root: dist }));
  app.get('/favicon.svg', serveStatic({ root: dist }));

  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', CSP);
    return c.html(DOCS_PAGE);
  });
  app.get('/docs/init.js', (c) => c.body(DOCS_INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/assets/:file', async (c, next) => {
    if (!DOCS_FILES.has(c.req.param('file'))) return c.notFound();
    c.header('Cache-Control', 'public, max-age=86400');
    return serveStatic({ root: SWAGGER_UI, rewriteRequestPath: (p) => p.replace(/^\/docs\/assets/, '') })(c, next);
  });
  return app;
}
