// Starting the machine's headless Chromium for the browser checks, with the
// flags this environment needs (no sandbox as root, no background network:
// a closed network refuses those connections). Exits with a clear message
// when Chromium cannot start.
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  try {
    return await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  } catch (e) {
    console.error(`FAIL: cannot start Chromium at ${executablePath} (apt-get install chromium): ${e.message}`);
    process.exit(1);
  }
}
