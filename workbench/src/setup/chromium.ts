/**
 * Chromium, the browser the report's browser test and the slides' PDF use: Debian's `chromium` package, driven
 * by playwright-core (the report test) and by Marp CLI (CHROME_PATH, the slides' PDF). Set-up installs it like
 * any other prerequisite, never assumes it: found on the PATH's usual places, else installed with apt-get when
 * running as root on Debian/Ubuntu, else a PrerequisiteError naming the command to run.
 */
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { PrerequisiteError } from '../errors.js';

/** Where Debian's package (and Ubuntu's older one) puts the browser. CHROME_PATH, if set, wins. */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
export const CHROMIUM_INSTALL = 'sudo apt-get install -y chromium';

/**
 * Headless, no sandbox (root in a container cannot use it), nothing fetched in the background (component
 * updates, sync, QUIC probes), so a page's own requests are the only network traffic. The caller adds a fresh
 * --user-data-dir (playwright does that itself).
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function findChromium(env: Record<string, string | undefined>, exists: (p: string) => boolean = existsSync): string | undefined {
  const fromEnv = env.CHROME_PATH;
  if (fromEnv && exists(fromEnv)) return fromEnv;
  return CHROMIUM_CANDIDATES.find((p) => exists(p));
}

export interface ChromiumHost {
  isRoot: boolean;
  isDebian: boolean;
}

export function currentHost(): ChromiumHost {
  return { isRoot: typeof process.getuid === 'function' && process.getuid() === 0, isDebian: existsSync('/etc/debian_version') };
}

/** What to do when chromium is missing, as data (the unit test checks the decision without installing). */
export function installPlan(host: ChromiumHost): { kind: 'apt'; commands: string[][] } | { kind: 'refuse'; fix: string } {
  if (host.isRoot && host.isDebian) {
    return { kind: 'apt', commands: [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']] };
  }
  return {
    kind: 'refuse',
    fix: host.isDebian ? `install it: ${CHROMIUM_INSTALL}` : 'install Chromium from your system\'s packages (or set CHROME_PATH to a Chromium/Chrome binary)',
  };
}

export async function ensureChromium(o: {
  out: { info(line: string): void };
  signal?: AbortSignal;
  /** The command's environment (CHROME_PATH), passed in: set-up reads no process.env. */
  env: Record<string, string | undefined>;
  host?: ChromiumHost;
}): Promise<string> {
  const { env } = o;
  const found = findChromium(env);
  if (found) {
    o.out.info('chromium: cached');
    return found;
  }
  const plan = installPlan(o.host ?? currentHost());
  if (plan.kind === 'refuse') {
    throw new PrerequisiteError('chromium is missing (the report\'s browser test and the slides\' PDF need it)', plan.fix);
  }
  o.out.info('installing chromium (apt-get install chromium)...');
  for (const [cmd, ...args] of plan.commands) {
    const res = await execa(cmd!, args, { reject: false, cancelSignal: o.signal, env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, all: true });
    if (res.exitCode !== 0) {
      throw new PrerequisiteError(`\`${[cmd, ...args].join(' ')}\` failed (exit ${res.exitCode}): ${String(res.all ?? '').trim().split('\n').slice(-3).join(' | ')}`, `install it by hand: ${CHROMIUM_INSTALL}`);
    }
  }
  const installed = findChromium(env);
  if (!installed) throw new PrerequisiteError('apt-get installed chromium but it is not at /usr/bin/chromium', `check: ${CHROMIUM_INSTALL}`);
  return installed;
}
