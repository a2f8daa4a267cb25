// A real browser (Debian's chromium, headless, driven by playwright-core) on the
// chat page of examples/chat_service.py.
//
// It reads one JSON command per line on stdin and answers each with one JSON line
// on stdout, so that the Python test can set the emulator up between scenarios:
//
//   {"cmd": "chat", "url", "prompt", "settings"?, "viewport"?, "shot"?}
//       open the page, send a prompt, sample the answer's text while it streams in,
//       wait until the chat is ready again; the texts seen, the parts shown, the
//       layout's width, a screenshot
//   {"cmd": "stop", ...same}     send, click Stop once text streamed in, then watch
//                                that nothing more arrives
//   {"cmd": "reload", ...same}   send, reload mid-answer, watch it resume and finish
//   {"cmd": "error", ...same}    send, expect the error shown, click Retry
//   {"cmd": "realtime", "url", "prompt", "shot"?}   the realtime page: connect, send
//   {"cmd": "close"}
//
// Every answer is {"ok": true, ...} or {"ok": false, "error": "..."}.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const TIMEOUT = 15_000;
// playwright-core gives each launch a fresh --user-data-dir of its own (a temporary
// folder it removes on close); each scenario gets a fresh context (its own storage).
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const logs = [];

async function open({ url, viewport, settings }) {
  const mobile = viewport?.mobile ?? false;
  const context = await browser.newContext({
    viewport: { width: viewport?.width ?? 1280, height: viewport?.height ?? 800 },
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: mobile ? 2 : 1,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('console', message => {
    if (message.type() === 'error') logs.push(`console: ${message.text()}`);
  });
  page.on('pageerror', error => logs.push(`pageerror: ${error.message}`));
  await page.goto(url);
  await page.waitForSelector('[data-testid=messages]');
  if (settings) {
    for (const [name, on] of Object.entries(settings)) {
      const box = page.locator(`label:has-text("${name}") input[type=checkbox]`);
      if ((await box.isChecked()) !== on) await box.click();
    }
  }
  return { context, page };
}

const status = page => page.getAttribute('[data-testid=messages]', 'data-status');
const answers = page => page.locator('[data-testid=message-assistant]');
const lastText = async page => {
  const all = answers(page);
  const count = await all.count();
  if (count === 0) return '';
  return (await all.nth(count - 1).locator('[data-testid=part-text]').allInnerTexts()).join('');
};

async function send(page, prompt) {
  await page.fill('[data-testid=input]', prompt);
  await page.click('[data-testid=send]');
  await page.waitForFunction(
    () => document.querySelector('[data-testid=messages]').dataset.status !== 'ready',
  );
}

// Sample the last answer's text every 20 ms until the chat is ready (or errored).
async function watch(page, texts = []) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const text = await lastText(page);
    if (texts.at(-1) !== text) texts.push(text);
    const now = await status(page);
    if (now === 'ready' || now === 'error') return { texts, status: now };
    if (Date.now() > deadline) throw new Error(`still ${now} after ${TIMEOUT} ms`);
    await page.waitForTimeout(20);
  }
}

async function waitForText(page, minimum = 1) {
  await page.waitForFunction(minimum => {
    const all = document.querySelectorAll('[data-testid=message-assistant]');
    const last = all[all.length - 1];
    const text = last ? [...last.querySelectorAll('[data-testid=part-text]')].map(e => e.textContent).join('') : '';
    return text.length >= minimum;
  }, minimum);
  return lastText(page);
}

async function describe(page, shot) {
  const last = answers(page).last();
  const out = {
    text: await lastText(page),
    assistants: await answers(page).count(),
    users: await page.locator('[data-testid=message-user]').count(),
    reasoning: await last.locator('[data-testid=part-reasoning]').evaluateAll(list =>
      list.map(e => ({ open: e.open, text: e.querySelector('.reasoning-text').textContent })),
    ),
    tools: await last.locator('[data-testid=part-tool]').evaluateAll(list =>
      list.map(e => ({
        name: e.querySelector('.tool-name').textContent,
        state: e.querySelector('.tool-state').textContent,
      })),
    ),
    sources: await last.locator('[data-testid=source] a').evaluateAll(list =>
      list.map(a => a.getAttribute('href')),
    ),
    error: (await page.locator('[data-testid=error]').count())
      ? await page.locator('[data-testid=error] span').innerText()
      : null,
    overflow: await page.evaluate(
      () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
    ),
    url: page.url(),
  };
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  return out;
}

const commands = {
  async chat(command) {
    const { context, page } = await open(command);
    try {
      await send(page, command.prompt);
      const seen = await watch(page);
      return { ...seen, ...(await describe(page, command.shot)) };
    } finally {
      await context.close();
    }
  },

  async stop(command) {
    const { context, page } = await open(command);
    try {
      await send(page, command.prompt);
      await waitForText(page);
      await page.click('[data-testid=stop]');
      await page.waitForFunction(
        () => document.querySelector('[data-testid=messages]').dataset.status === 'ready',
      );
      const atStop = await lastText(page);
      await page.waitForTimeout(command.settle ?? 300);
      return { atStop, ...(await describe(page, command.shot)) };
    } finally {
      await context.close();
    }
  },

  async reload(command) {
    const { context, page } = await open(command);
    try {
      await send(page, command.prompt);
      const before = await waitForText(page);
      await page.reload();
      await page.waitForSelector('[data-testid=messages]');
      const seen = await watch(page, [await lastText(page)]);
      return { before, ...seen, ...(await describe(page, command.shot)) };
    } finally {
      await context.close();
    }
  },

  async error(command) {
    const { context, page } = await open(command);
    try {
      await send(page, command.prompt);
      await page.waitForSelector('[data-testid=error]');
      const shown = await describe(page, command.shot);
      await page.click('[data-testid=error] button');
      const seen = await watch(page);
      return { shown, ...seen, ...(await describe(page)) };
    } finally {
      await context.close();
    }
  },

  async realtime(command) {
    const { context, page } = await open(command);
    try {
      await page.click('[data-testid=connect]');
      await page.waitForFunction(
        () => document.querySelector('[data-testid=realtime-status]').textContent === 'connected',
      );
      await page.fill('[data-testid=input]', command.prompt);
      await page.click('[data-testid=send]');
      await page.waitForFunction(
        () => document.querySelector('[data-testid=messages]').dataset.lastEvent === 'response-done',
      );
      const texts = await page.locator('[data-testid^=message-] .text').allInnerTexts();
      const roles = await page
        .locator('[data-testid^=message-]')
        .evaluateAll(list => list.map(e => e.dataset.testid));
      if (command.shot) await page.screenshot({ path: command.shot, fullPage: true });
      return { texts, roles, status: await page.innerText('[data-testid=realtime-status]') };
    } finally {
      await context.close();
    }
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const command = JSON.parse(line);
  if (command.cmd === 'close') break;
  let answer;
  try {
    logs.length = 0;
    answer = { ok: true, ...(await commands[command.cmd](command)), logs: [...logs] };
  } catch (error) {
    answer = { ok: false, error: String(error?.stack ?? error), logs: [...logs] };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
await browser.close();
process.exit(0); // stdin may still be open: do not wait for it
