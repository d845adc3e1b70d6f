// Init scripts for the WebKit lane. Classic WebDriver has nothing like Playwright's
// `addInitScript` (a script that runs in every document before the page's own), so the lane's
// pages load the playground through this proxy, which writes the registered scripts into each
// HTML document's <head>, ahead of the page's module scripts. Everything else passes through.

import { createServer, request, type Server } from 'node:http';

export class InitScriptProxy {
  readonly #scripts = new Set<string>();
  readonly #server: Server;
  readonly url: string;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  /** A proxy in front of `target` (an http origin), on `port` of this machine. */
  static async start(target: string, port: number): Promise<InitScriptProxy> {
    const upstream = new URL(target);
    let proxy: InitScriptProxy | undefined;
    const server = createServer((req, res) => {
      // The Host stays the page's (the OpenID Provider's issuer is the origin the page is on);
      // HTML is rewritten, so it is asked for uncompressed.
      const { 'accept-encoding': _encoding, ...headers } = req.headers;
      const forward = request(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
        (answer) => {
          const html = (answer.headers['content-type'] ?? '').startsWith('text/html');
          if (!html || !proxy) {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            return;
          }
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const body = proxy?.inject(Buffer.concat(chunks).toString('utf8')) ?? '';
            const out = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
            res.writeHead(answer.statusCode ?? 200, out);
            res.end(body);
          });
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    proxy = new InitScriptProxy(server, `http://localhost:${port}`);
    return proxy;
  }

  /** Adds a script every document loaded from now on runs first: `fn(arg)`, as Playwright's addInitScript. */
  add(fn: string | ((arg: never) => unknown), arg?: unknown): void {
    const source = typeof fn === 'string' ? fn : `(${fn.toString()})(${JSON.stringify(arg)});`;
    this.#scripts.add(source);
  }

  /** Forgets every script (a test ends). */
  reset(): void {
    this.#scripts.clear();
  }

  inject(html: string): string {
    if (this.#scripts.size === 0) return html;
    const tags = [...this.#scripts]
      .map((s) => `<script>${s.replaceAll('</script', '<\\/script')}</script>`)
      .join('');
    const head = /<head[^>]*>/i.exec(html);
    if (!head) return tags + html;
    const at = head.index + head[0].length;
    return html.slice(0, at) + tags + html.slice(at);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }
}
