import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrerequisiteError } from '../../src/errors.js';
import { checkPrerequisites, findOnPath, installHint, parseJavaSettings } from '../../src/setup/prerequisites.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder of fake tools (shell scripts) to use as the whole PATH. */
function fakePath(tools: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wb-fake-path-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(tools)) {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

const java = (version: string) => `echo "    java.home = /opt/jdk-${version}" >&2\necho "    java.specification.version = ${version}" >&2`;
const python311 = 'echo 3.11';
const go = 'echo go1.22.1';

async function failure(p: Promise<unknown>): Promise<PrerequisiteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PrerequisiteError);
  return err as PrerequisiteError;
}

describe('checkPrerequisites', () => {
  it('names every missing tool at once, each with the command that installs it', async () => {
    const PATH = fakePath({});
    const err = await failure(checkPrerequisites({ env: { PATH }, needGo: true, platform: 'linux' }));
    expect(err.message).toContain('3 prerequisites missing');
    expect(err.message).toContain('java 17 not found');
    expect(err.message).toContain('apt-get install openjdk-17-jdk-headless');
    expect(err.message).toContain('python3.11 not found');
    expect(err.message).toContain('apt-get install python3.11 python3.11-venv');
    expect(err.message).toContain('go not found');
    expect(err.message).toContain('https://go.dev/doc/install');
    expect(err.fix).toContain('java, python3.11, go');
    expect(err.exitCode).toBe(3);
  });

  it('does not ask for go when MinIO is already built', async () => {
    const PATH = fakePath({ java: java('17'), 'python3.11': python311 });
    const pre = await checkPrerequisites({ env: { PATH }, needGo: false });
    expect(pre).toEqual({ javaHome: '/opt/jdk-17', javaVersion: '17', python311: path.join(PATH, 'python3.11'), go: undefined });
  });

  it('finds all tools on the PATH', async () => {
    const PATH = fakePath({ java: java('17'), 'python3.11': python311, go });
    const pre = await checkPrerequisites({ env: { PATH }, needGo: true });
    expect(pre.go).toBe(path.join(PATH, 'go'));
  });

  it('refuses another Java than 17, saying which one it found', async () => {
    const PATH = fakePath({ java: java('21'), 'python3.11': python311 });
    const err = await failure(checkPrerequisites({ env: { PATH }, needGo: false }));
    expect(err.message).toMatch(/java 17 required.*found 21/);
    expect(err.message).not.toContain('python3.11 not found');
  });

  it('prefers JAVA_HOME over the PATH and says so when it is broken', async () => {
    const PATH = fakePath({ java: java('17'), 'python3.11': python311 });
    const err = await failure(checkPrerequisites({ env: { PATH, JAVA_HOME: '/nonexistent/jdk' }, needGo: false }));
    expect(err.message).toContain('/nonexistent/jdk/bin/java');
  });

  it('reports a python3.11 that cannot create venvs (Debian without python3.11-venv)', async () => {
    const PATH = fakePath({ java: java('17'), 'python3.11': 'echo "No module named ensurepip" >&2; exit 1' });
    const err = await failure(checkPrerequisites({ env: { PATH }, needGo: false, platform: 'linux' }));
    expect(err.message).toContain('cannot create virtual environments');
    expect(err.message).toContain('python3.11-venv');
  });

  it('refuses a Go too old to fetch the toolchain MinIO asks for', async () => {
    const PATH = fakePath({ java: java('17'), 'python3.11': python311, go: 'echo go1.19.4' });
    const err = await failure(checkPrerequisites({ env: { PATH }, needGo: true }));
    expect(err.message).toContain('go >= 1.21 required, found go1.19.4');
  });

  it('refuses Node older than 20', async () => {
    const PATH = fakePath({ java: java('17'), 'python3.11': python311 });
    const err = await failure(checkPrerequisites({ env: { PATH }, needGo: false, nodeVersion: '18.19.0' }));
    expect(err.message).toContain('node >= 20 required, found 18.19.0');
  });
});

describe('helpers', () => {
  it('gives platform-specific install commands', () => {
    expect(installHint('java', 'darwin')).toContain('brew install openjdk@17');
    expect(installHint('go', 'linux')).toContain('apt-get install golang');
  });

  it('parses java -XshowSettings:properties output', () => {
    const text = '    java.home = /usr/lib/jvm/java-17-openjdk-amd64\n    java.specification.version = 17\nopenjdk version "17.0.15"';
    expect(parseJavaSettings(text)).toEqual({ home: '/usr/lib/jvm/java-17-openjdk-amd64', version: '17' });
  });

  it('findOnPath skips folders without the tool', () => {
    const a = fakePath({});
    const b = fakePath({ go });
    expect(findOnPath('go', `${a}${path.delimiter}${b}`)).toBe(path.join(b, 'go'));
    expect(findOnPath('go', a)).toBeUndefined();
  });
});
