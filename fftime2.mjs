import { firefox } from '@playwright/test';
import { execSync } from 'node:child_process';
const browser = await firefox.launch({ channel: 'moz-firefox', executablePath: '/usr/bin/firefox-esr' });
const context = await browser.newContext();
const [base, path] = process.argv.slice(2);
const pages = [];
const t0 = Date.now();
for (let i = 0; i < 10; i++) {
  const page = await context.newPage();
  await page.goto(`${base}${path}?poll=500&leeway=1.5&cutoff=0.5&name=t${process.pid}&key=default`);
  await page.waitForFunction(() => window.tokenCache !== undefined);
  pages.push(page);
}
console.log('opened 10 in', Date.now() - t0);
await new Promise((r) => setTimeout(r, 3000));
console.log(execSync('top -b -n1 -d1 | head -20').toString());
let t = Date.now();
for (const p of pages) await p.evaluate(() => window.tokenCache.peekToken());
console.log('10 evaluates', Date.now() - t);
await browser.close();
