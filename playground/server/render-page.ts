// Server-side rendering, as far as the library cares (R31, `tokens.seed`): `GET /?ssr=1` answers
// the dashboard with a token for its key already in the page, as a Next.js or Remix server that
// holds the session would render it, in `<meta name="ssr-token">`. The page hands it to its cache
// (`tokens.seed`), so that neither it nor any other tab asks /api/token for it.

import type { IncomingMessage, ServerResponse } from 'node:http';

type Next = (err?: unknown) => void;

/** `html` with the rendered token in its head. A JWT is base64url and dots: nothing to escape. */
export function renderPage(html: string, token: string): string {
  return html.replace('<head>', `<head>\n    <meta name="ssr-token" content="${token}" />`);
}

/**
 * Answers `GET /?ssr=1` (and `/index.html?ssr=1`) with the page `loadHtml` gives, rendered with a
 * token for the URL's `key` (default 'default'); everything else goes on to `next`.
 */
export function ssrMiddleware(
  renderToken: (key: string) => Promise<string>,
  loadHtml: (url: string) => Promise<string>,
) {
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const page = url.pathname === '/' || url.pathname === '/index.html';
    if (req.method !== 'GET' || !page || url.searchParams.get('ssr') !== '1') {
      next();
      return;
    }
    const key = url.searchParams.get('key') || 'default';
    Promise.all([loadHtml(req.url ?? '/'), renderToken(key)]).then(
      ([html, token]) => {
        // A page with a user's token in it is theirs alone: never stored by a shared cache.
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'private, no-cache',
        });
        res.end(renderPage(html, token));
      },
      (error: unknown) => next(error),
    );
  };
}
