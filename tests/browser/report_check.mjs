// Opens knowthy's HTML report in Debian's chromium (headless, through playwright-core) at 1280 px
// and at 360 px, takes full-page screenshots, and prints what the page did as one JSON object:
// console errors, requests (any at all is a leak: the page is one file), each chart's marks as the
// DOM has them, horizontal overflow, the claim search at work, whether a planted script ran, and
// the print style (a PDF is written beside the screenshots).
// Usage: node report_check.mjs REPORT.html OUT_DIR [SEARCH_TERM]
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { mkdirSync } from 'node:fs';

const [report, outDir, term = 'coffee'] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const url = pathToFileURL(report).href;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const result = { console_errors: [], requests: [], widths: {} };
try {
  for (const width of [1280, 360]) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('console', (m) => { if (m.type() === 'error') result.console_errors.push(m.text()); });
    page.on('pageerror', (e) => result.console_errors.push(String(e)));
    page.on('request', (r) => { if (r.url() !== url) result.requests.push(r.url()); });
    await page.goto(url, { waitUntil: 'load' });
    await page.screenshot({ path: `${outDir}/report-${width}.png`, fullPage: true });
    const w = await page.evaluate(() => {
      const charts = {};
      for (const svg of document.querySelectorAll('svg.chart')) {
        charts[svg.id] = {
          bars: svg.querySelectorAll('g.bar').length,
          segments: svg.querySelectorAll('g.bar rect').length,
          points: svg.querySelectorAll('circle.pt').length,
          metrics: svg.querySelectorAll('g.metric').length,
          title: svg.querySelector('title')?.textContent || '',
          desc: svg.querySelector('desc')?.textContent || '',
          width: svg.getBoundingClientRect().width,
        };
      }
      return {
        charts,
        scroll_width: document.documentElement.scrollWidth,
        pwned: typeof window.__pwned !== 'undefined',
        claims: document.querySelectorAll('li.claim').length,
        search_visible: !document.getElementById('claim-search-box')?.hidden,
        headings: Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map((h) => Number(h.tagName[1])),
      };
    });
    if (w.search_visible) {
      await page.fill('#claim-search', term);
      w.search = await page.evaluate(() => ({
        visible: document.querySelectorAll('li.claim:not([hidden])').length,
        count: document.getElementById('claim-count').textContent,
      }));
      await page.fill('#claim-search', 'zzzz-no-claim-says-this');
      w.search_none = await page.evaluate(() => document.querySelectorAll('li.claim:not([hidden])').length);
      await page.fill('#claim-search', '');
    }
    if (width === 1280) {
      // Printing: the navigation and the search box are not printed, and a PDF comes out.
      await page.emulateMedia({ media: 'print' });
      result.print = await page.evaluate(() => ({
        nav_hidden: getComputedStyle(document.querySelector('nav')).display === 'none',
        background: getComputedStyle(document.body).backgroundColor,
      }));
      await page.pdf({ path: `${outDir}/report.pdf`, format: 'A4', printBackground: false });
      await page.emulateMedia({ media: 'screen' });
    }
    result.widths[width] = w;
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
