/**
 * Checks the tools the workbench cannot install itself: Java 17, Python 3.11 (with venv support), Go (only
 * when MinIO still has to be built) and Node >= 20. Every missing tool is reported at once, each with the
 * command that installs it on this platform.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { PrerequisiteError } from '../errors.js';

export type Tool = 'java' | 'python3.11' | 'go' | 'node';

export interface Prerequisites {
  javaHome: string;
  javaVersion: string;
  python311: string;
  /** Absent when Go was not needed (MinIO already built). */
  go?: string;
}

/** How to install each tool, per platform. Pure: the unit tests and the error message share it. */
export function installHint(tool: Tool, platform: NodeJS.Platform): string {
  const mac = platform === 'darwin';
  switch (tool) {
    case 'java':
      return mac
        ? 'brew install openjdk@17, then export JAVA_HOME=$(/usr/libexec/java_home -v 17)'
        : 'apt-get install openjdk-17-jdk-headless (or set JAVA_HOME to a Java 17 installation)';
    case 'python3.11':
      return mac
        ? 'brew install python@3.11 (or pyenv install 3.11)'
        : 'apt-get install python3.11 python3.11-venv (or pyenv install 3.11 && pyenv global 3.11)';
    case 'go':
      return mac ? 'brew install go (or see https://go.dev/doc/install)' : 'apt-get install golang (or see https://go.dev/doc/install)';
    case 'node':
      return 'install Node.js 20 or later (https://nodejs.org, or nvm install 20)';
  }
}

/** The first executable named `name` on the PATH given, or undefined. */
export function findOnPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface Problem {
  tool: Tool;
  message: string;
}

/** Parses `java -XshowSettings:properties -version` (stderr): the spec version and java.home. */
export function parseJavaSettings(text: string): { version?: string; home?: string } {
  const version = /java\.specification\.version = (\S+)/.exec(text)?.[1];
  const home = /java\.home = (.+)/.exec(text)?.[1]?.trim();
  return { version, home };
}

async function checkJava(env: Record<string, string | undefined>, want: string): Promise<{ home: string; version: string } | Problem> {
  const fromHome = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : undefined;
  const java = fromHome ?? findOnPath('java', env.PATH);
  if (!java) return { tool: 'java', message: `java ${want} not found (no JAVA_HOME, no java on PATH)` };
  const r = await execa(java, ['-XshowSettings:properties', '-version'], { env, extendEnv: false, reject: false });
  const { version, home } = parseJavaSettings(`${r.stderr}\n${r.stdout}`);
  if (r.failed || !version || !home) {
    return { tool: 'java', message: `${java}${fromHome ? ' (from JAVA_HOME)' : ''} does not run (${firstLine(r.stderr || r.message || '')})` };
  }
  if (version !== want) return { tool: 'java', message: `java ${want} required (the version Spark 3.5 and EMR 7 run on), found ${version} at ${java}` };
  return { home, version };
}

async function checkPython(env: Record<string, string | undefined>, want: string): Promise<string | Problem> {
  const name = `python${want}`;
  const python = findOnPath(name, env.PATH);
  if (!python) return { tool: 'python3.11', message: `${name} not found on PATH` };
  // ensurepip is split out of Debian's python3.x package; without it `-m venv` fails half-way.
  const r = await execa(python, ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'], {
    env,
    extendEnv: false,
    reject: false,
  });
  if (r.failed) return { tool: 'python3.11', message: `${python} cannot create virtual environments (no venv/ensurepip module)` };
  if (r.stdout.trim() !== want) return { tool: 'python3.11', message: `${python} reports Python ${r.stdout.trim()}, not ${want}` };
  return python;
}

async function checkGo(env: Record<string, string | undefined>): Promise<string | Problem> {
  const go = findOnPath('go', env.PATH);
  if (!go) return { tool: 'go', message: 'go not found on PATH (needed once, to build the MinIO server)' };
  const r = await execa(go, ['env', 'GOVERSION'], { env, extendEnv: false, reject: false });
  const m = /^go1\.(\d+)/.exec(r.stdout.trim());
  // Go >= 1.21 fetches the toolchain a module asks for by itself (GOTOOLCHAIN=auto).
  if (r.failed || !m) return { tool: 'go', message: `${go} does not run (${firstLine(r.stderr || r.message || '')})` };
  if (Number(m[1]) < 21) return { tool: 'go', message: `go >= 1.21 required, found ${r.stdout.trim()} at ${go}` };
  return go;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

function isProblem(x: unknown): x is Problem {
  return typeof x === 'object' && x !== null && 'tool' in x && 'message' in x;
}

export async function checkPrerequisites(opts: {
  env: Record<string, string | undefined>;
  needGo: boolean;
  java?: string;
  python?: string;
  platform?: NodeJS.Platform;
  nodeVersion?: string;
}): Promise<Prerequisites> {
  const platform = opts.platform ?? process.platform;
  const problems: Problem[] = [];
  const nodeMajor = Number((opts.nodeVersion ?? process.versions.node).split('.')[0]);
  if (nodeMajor < 20) problems.push({ tool: 'node', message: `node >= 20 required, found ${opts.nodeVersion ?? process.versions.node}` });
  const [java, python, go] = await Promise.all([
    checkJava(opts.env, opts.java ?? '17'),
    checkPython(opts.env, opts.python ?? '3.11'),
    opts.needGo ? checkGo(opts.env) : Promise.resolve(undefined),
  ]);
  for (const r of [java, python, go]) if (isProblem(r)) problems.push(r);
  if (problems.length > 0) {
    const lines = problems.map((p) => `  - ${p.message}\n      install: ${installHint(p.tool, platform)}`);
    throw new PrerequisiteError(
      `${problems.length} prerequisite${problems.length === 1 ? '' : 's'} missing:\n${lines.join('\n')}`,
      `install ${problems.map((p) => p.tool).join(', ')} as shown above, then run npm run setup again`,
    );
  }
  const j = java as { home: string; version: string };
  return { javaHome: j.home, javaVersion: j.version, python311: python as string, go: go as string | undefined };
}
