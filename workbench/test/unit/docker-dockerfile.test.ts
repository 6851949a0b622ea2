/**
 * docker/spark/Dockerfile checked without an engine: parsed and validated (dockerfile-utils, the linter behind
 * the VS Code Docker extension), then our rules: FROM is versions.json's base pin, Spark is versions.json's,
 * Python 3.11 and Java 17 come from Debian's packages, the lock is installed offline from the wheelhouse with its
 * hashes, nothing is downloaded but Debian packages, the image ends as a non-root user. Plus the lock filter
 * script (kept for EMR's helper), run on the real lock.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const dockerfileText = readFileSync(path.join(root, 'docker/spark/Dockerfile'), 'utf8');
const versions = JSON.parse(readFileSync(path.join(root, 'versions.json'), 'utf8')) as {
  spark: string;
  python: string;
  docker: { baseImage: string };
};
const lockPath = path.join(root, 'pipeline/requirements.lock');

/** Our rules; returns every problem. */
function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const errors = validate(text).filter((d) => d.severity === 1);
  for (const e of errors) problems.push(`line ${e.range.start.line + 1}: ${e.message}`);
  const df = DockerfileParser.parse(text);
  const args = new Map(df.getInitialARGs().map((a) => [a.getProperty()?.getName(), a.getProperty()?.getValue()]));
  const allArgs = new Map(
    df.getInstructions().filter((i) => i.getKeyword() === 'ARG').map((i) => {
      const [name, value] = (i.getArgumentsContent() ?? '').split(/=(.*)/s);
      return [name, value] as const;
    }),
  );
  const froms = df.getFROMs();
  if (froms.length !== 1) problems.push(`expected one FROM (one stage), found ${froms.length}`);
  const from = froms[0]?.getImage();
  const base = from === '${BASE_IMAGE}' ? args.get('BASE_IMAGE') : from;
  if (base !== versions.docker.baseImage) problems.push(`FROM ${base} is not versions.json docker.baseImage ${versions.docker.baseImage}`);
  if (allArgs.get('SPARK_VERSION') !== versions.spark) problems.push(`ARG SPARK_VERSION=${allArgs.get('SPARK_VERSION')} is not versions.json spark ${versions.spark}`);
  const runs = df.getInstructions().filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
  const run = runs.join('\n');
  if (!/apt-get install[^;]*\bpython3\.11\b/.test(run)) problems.push('python3.11 is not installed');
  if (!/apt-get install[^;]*\bopenjdk-17-jre-headless\b/.test(run)) problems.push('Java 17 is not installed from Debian');
  if (!/python3\.11 -m venv/.test(run)) problems.push('no venv made with python3.11');
  if (!/pip install[^;]*--no-index[^;]*--require-hashes[^;]*-r \/opt\/fruits\/requirements\.wheels/.test(run)) problems.push('the lock is not installed offline with --require-hashes');
  if (/\b(curl|wget|add-apt-repository|ppa:)\b|https:\/\//.test(run)) problems.push('a RUN downloads something other than Debian packages');
  if (allArgs.get('SPARK_VERSION') && !/pyspark\.__version__ == '\$\{SPARK_VERSION\}'/.test(run)) problems.push('the installed pyspark is not checked against SPARK_VERSION');
  const copies = df.getInstructions().filter((i) => i.getKeyword() === 'COPY').map((i) => i.getArgumentsContent() ?? '');
  for (const c of ['requirements.wheels', 'wheels/', 'jars/', 'bin/minio']) if (!copies.some((x) => x.startsWith(c))) problems.push(`${c} is not copied in`);
  const env = df.getInstructions().filter((i) => i.getKeyword() === 'ENV').map((i) => i.getArgumentsContent() ?? '').join(' ');
  for (const v of ['PYSPARK_PYTHON=/opt/fruits/venv/bin/python', 'PYSPARK_DRIVER_PYTHON=/opt/fruits/venv/bin/python', 'SPARK_HOME=/opt/spark']) {
    if (!env.includes(v)) problems.push(`ENV ${v} missing`);
  }
  const users = df.getInstructions().filter((i) => i.getKeyword() === 'USER');
  const last = users.at(-1)?.getArgumentsContent()?.trim();
  if (!last || ['root', '0', '0:0'].includes(last) || last.startsWith('root:')) problems.push(`the image must end as a non-root USER (found ${last ?? 'none'})`);
  return problems;
}

describe('docker/spark/Dockerfile', () => {
  it('parses without errors and follows our rules', () => {
    expect(dockerfileProblems(dockerfileText)).toEqual([]);
  });

  it('pins the same Python minor as versions.json', () => {
    expect(versions.python).toBe('3.11');
    expect(dockerfileText).toContain(`sys.version_info[:2] == (3, 11)`);
  });

  it.each([
    ['a syntax error', (t: string) => t.replace('USER spark', 'USR spark'), /Unknown instruction: USR/],
    ['a FROM without image', (t: string) => t.replace('FROM ${BASE_IMAGE}', 'FROM'), /no arguments|FROM .* is not versions.json/],
    ['another base image', (t: string) => t.replace(/^ARG BASE_IMAGE=.*$/m, 'ARG BASE_IMAGE=debian:bookworm-slim'), /FROM debian:bookworm-slim is not versions.json/],
    ['another Spark version', (t: string) => t.replace(/^ARG SPARK_VERSION=.*$/m, 'ARG SPARK_VERSION=3.5.5'), /ARG SPARK_VERSION=3.5.5/],
    ['ending as root', (t: string) => t.replace(/USER spark\s*\nWORKDIR/, 'USER root\nWORKDIR'), /non-root USER \(found root\)/],
    ['no Python 3.11', (t: string) => t.replace('python3.11 python3.11-venv', 'python3 python3-venv'), /python3.11 is not installed/],
    ['the lock without hashes', (t: string) => t.replace('--require-hashes ', ''), /--require-hashes/],
    ['a download in the build', (t: string) => t.replace('rm -rf /tmp/wheels;', 'rm -rf /tmp/wheels; curl -fsSLO https://example.org/x;'), /downloads something/],
  ])('catches %s', (_what, mutate, problem) => {
    const broken = mutate(dockerfileText);
    expect(broken).not.toBe(dockerfileText);
    expect(dockerfileProblems(broken).join('\n')).toMatch(problem);
  });
});
