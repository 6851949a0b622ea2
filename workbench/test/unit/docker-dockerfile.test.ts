/**
 * docker/spark/Dockerfile checked without an engine: parsed and validated (dockerfile-utils, the linter behind
 * the VS Code Docker extension), then our rules for one image per release: both stages are FROM versions.json's
 * base pin; Spark, Python and Java are build args whose defaults are the default release's and which the
 * workbench passes for every release (pins.ts releaseBuildArgs), with no version written anywhere else; Python and
 * Java come from Debian's packages; the lock is installed offline from the wheelhouse with its hashes in a builder
 * stage, and the final stage gets the installed venv, never the wheelhouse; apt runs once, in the runtime stage
 * both others start from; no RUN of the final stage touches a
 * copied file (that would copy it into a second layer); nothing is downloaded but Debian packages; the image ends
 * as a non-root user.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RELEASE, RELEASES } from '../../src/config/releases.js';
import { releaseBuildArgs } from '../../src/stack/docker/pins.js';

const root = path.resolve(import.meta.dirname, '../../..');
const dockerfileText = readFileSync(path.join(root, 'docker/spark/Dockerfile'), 'utf8');
const versions = JSON.parse(readFileSync(path.join(root, 'versions.json'), 'utf8')) as { docker: { baseImage: string } };

const content = (i: Instruction) => i.getArgumentsContent() ?? '';
const ofKind = (list: Instruction[], keyword: string) => list.filter((i) => i.getKeyword() === keyword).map(content);

/** Our rules; returns every problem. */
function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const errors = validate(text).filter((d) => d.severity === 1);
  for (const e of errors) problems.push(`line ${e.range.start.line + 1}: ${e.message}`);
  const df = DockerfileParser.parse(text);
  const initial = new Map(df.getInitialARGs().map((a) => [a.getProperty()?.getName(), a.getProperty()?.getValue()]));
  const froms = df.getFROMs();
  if (froms.length !== 3) return [...problems, `expected three stages (runtime, builder, final), found ${froms.length}`];
  const from = froms[0]!.getImage();
  const base = from === '${BASE_IMAGE}' ? initial.get('BASE_IMAGE') : from;
  if (base !== versions.docker.baseImage) problems.push(`FROM ${base} is not versions.json docker.baseImage ${versions.docker.baseImage}`);
  if (froms[0]!.getBuildStage() !== 'runtime') problems.push('the first stage is not named runtime');
  if (froms[1]!.getBuildStage() !== 'builder') problems.push('the second stage is not named builder');
  for (const f of froms.slice(1)) if (f.getImage() !== 'runtime') problems.push(`FROM ${f.getImage()}: the builder and the final stage start from runtime (apt runs once)`);
  const line = (i: { getRange(): { start: { line: number } } }) => i.getRange().start.line;
  const all = df.getInstructions();
  const [r0, b0, f0] = froms.map(line) as [number, number, number];
  const runtime = all.filter((i) => line(i) > r0 && line(i) < b0);
  const builder = all.filter((i) => line(i) > b0 && line(i) < f0);
  const final = all.filter((i) => line(i) > f0);

  // The release's versions: build args, defaults = the default release's, the same set the workbench passes.
  const finalArgs = new Map(ofKind(final, 'ARG').map((a) => a.split(/=(.*)/s) as [string, string | undefined]));
  const expected = releaseBuildArgs(DEFAULT_RELEASE);
  for (const [name, value] of Object.entries(expected)) {
    if (finalArgs.get(name) !== value) problems.push(`ARG ${name}=${finalArgs.get(name)} is not the default release's ${value} (${DEFAULT_RELEASE.label})`);
  }
  for (const [name, value] of [...runtime, ...builder, ...final].filter((i) => i.getKeyword() === 'ARG').map((i) => content(i).split(/=(.*)/s) as [string, string | undefined])) {
    if (!(name in expected)) problems.push(`ARG ${name} is not passed by the workbench (pins.ts releaseBuildArgs)`);
    else if (value !== expected[name as keyof typeof expected]) problems.push(`ARG ${name}=${value} is not the default release's ${expected[name as keyof typeof expected]} (${DEFAULT_RELEASE.label})`);
  }
  for (const r of RELEASES) {
    for (const v of [r.spark, r.emrSpark]) {
      const stray = text.split('\n').filter((l) => l.includes(v) && !/^ARG [A-Z_]+=/.test(l));
      if (stray.length > 0) problems.push(`${r.label}'s version ${v} is written outside an ARG default: ${stray[0]}`);
    }
  }

  const runtimeRun = ofKind(runtime, 'RUN').join('\n');
  const builderRun = ofKind(builder, 'RUN').join('\n');
  const finalRun = ofKind(final, 'RUN').join('\n');
  if (!/apt-get install[^;]*\bpython\$\{PYTHON_VERSION\}/.test(runtimeRun)) problems.push('the runtime stage does not install python${PYTHON_VERSION} from Debian');
  if (!/apt-get install[^;]*\bopenjdk-\$\{JAVA_VERSION\}-jre-headless\b/.test(runtimeRun)) problems.push('the runtime stage does not install openjdk-${JAVA_VERSION}-jre-headless from Debian');
  if (/apt-get/.test(`${builderRun}\n${finalRun}`)) problems.push('apt runs outside the runtime stage (a first build would install twice)');
  if (!/python\$\{PYTHON_VERSION\} -m venv \/opt\/fruits\/venv/.test(builderRun)) problems.push('the builder makes no venv with python${PYTHON_VERSION}');
  if (!/pip install[^;]*--no-index[^;]*--require-hashes[^;]*-r \/tmp\/requirements\.runtime/.test(builderRun)) problems.push('the lock is not installed offline with --require-hashes in the builder');
  // The model converters stay out (docker/spark/converters.txt): the lock is filtered by that list, pip check proves
  // nothing kept needs them, and the final stage proves none is importable.
  if (!/converters\.txt[\s\S]*\/tmp\/requirements\.wheels > \/tmp\/requirements\.runtime/.test(builderRun)) problems.push('the builder does not leave out the converters of converters.txt');
  if (!/pip check/.test(builderRun)) problems.push('the builder does not run pip check');
  if (!/'tensorflow'[^;]*find_spec/.test(finalRun)) problems.push('the final stage does not check that no converter is importable');
  if (/\b(curl|wget|add-apt-repository|ppa:)\b|https:\/\//.test(`${runtimeRun}\n${builderRun}\n${finalRun}`)) problems.push('a RUN downloads something other than Debian packages');
  if (!/pyspark\.__version__ == '\$\{SPARK_VERSION\}'/.test(finalRun)) problems.push('the installed pyspark is not checked against SPARK_VERSION');
  if (!/== '\$\{PYTHON_VERSION\}'/.test(finalRun)) problems.push('the venv\'s Python is not checked against PYTHON_VERSION');

  const builderCopies = ofKind(builder, 'COPY');
  for (const c of ['requirements.wheels', 'wheels/', 'jars/', 'bin/minio']) if (!builderCopies.some((x) => x.startsWith(c))) problems.push(`${c} is not copied into the builder`);
  // With its flags (--from=...), which getArgumentsContent leaves out.
  const finalCopies = final.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getTextContent().replace(/^COPY\s+/i, ''));
  for (const c of finalCopies) if (/^(wheels\/|requirements\.wheels|jars\/)/.test(c)) problems.push(`the final stage copies the wheelhouse or jars from the context: COPY ${c}`);
  if (!finalCopies.some((c) => /^--from=builder \/opt\/fruits\/venv /.test(c))) problems.push('the final stage does not copy the installed venv from the builder');
  if (/\b(chmod|chown)\b[^;]*(\/opt\/fruits\/venv|\/opt\/spark|\/usr\/local\/bin\/minio)/.test(finalRun)) problems.push('a RUN of the final stage changes a copied file (a second copy in a new layer)');

  const env = ofKind(final, 'ENV').join(' ');
  for (const v of ['PYSPARK_PYTHON=/opt/fruits/venv/bin/python', 'PYSPARK_DRIVER_PYTHON=/opt/fruits/venv/bin/python', 'SPARK_HOME=/opt/spark', 'JAVA_HOME=/usr/lib/jvm/java-${JAVA_VERSION}-openjdk-amd64']) {
    if (!env.includes(v)) problems.push(`ENV ${v} missing`);
  }
  const last = ofKind(final, 'USER').at(-1)?.trim();
  if (!last || ['root', '0', '0:0'].includes(last) || last.startsWith('root:')) problems.push(`the image must end as a non-root USER (found ${last ?? 'none'})`);
  return problems;
}

describe('docker/spark/Dockerfile', () => {
  it('parses without errors and follows our rules', () => {
    expect(dockerfileProblems(dockerfileText)).toEqual([]);
  });

  it('takes every release\'s Spark, Python and Java as build args (one image per release)', () => {
    for (const r of RELEASES) {
      expect(releaseBuildArgs(r)).toEqual({ RELEASE: r.label, SPARK_VERSION: r.spark, PYTHON_VERSION: r.python, JAVA_VERSION: r.java });
    }
    expect(new Set(RELEASES.map((r) => JSON.stringify(releaseBuildArgs(r)))).size).toBe(RELEASES.length);
  });

  it.each([
    ['a syntax error', (t: string) => t.replace('USER spark', 'USR spark'), /Unknown instruction: USR/],
    ['two stages', (t: string) => t.replace(/^FROM runtime AS builder$/m, 'RUN true'), /expected three stages/],
    ['a final stage from the bare base', (t: string) => t.replace(/^FROM runtime$/m, 'FROM ${BASE_IMAGE}'), /start from runtime/],
    ['apt in the builder', (t: string) => t.replace('python${PYTHON_VERSION} -m venv', 'apt-get install -y gcc; python${PYTHON_VERSION} -m venv'), /apt runs outside the runtime stage/],
    ['another base image', (t: string) => t.replace(/^ARG BASE_IMAGE=.*$/m, 'ARG BASE_IMAGE=debian:bookworm-slim'), /FROM debian:bookworm-slim is not versions.json/],
    ['another default Spark', (t: string) => t.replace(/^ARG SPARK_VERSION=.*$/m, 'ARG SPARK_VERSION=3.5.5'), /ARG SPARK_VERSION=3.5.5 is not the default release's/],
    ['a hard-coded Spark version', (t: string) => t.replace("== '${SPARK_VERSION}'", `== '${DEFAULT_RELEASE.spark}'`), /written outside an ARG default|not checked against SPARK_VERSION/],
    ['an ARG the workbench does not pass', (t: string) => t.replace(/^ARG JAVA_VERSION=.*$/m, (l) => `${l}\nARG SCALA_VERSION=2.12`), /ARG SCALA_VERSION is not passed/],
    ['ending as root', (t: string) => t.replace(/USER spark\s*\nWORKDIR/, 'USER root\nWORKDIR'), /non-root USER \(found root\)/],
    ['a fixed Python', (t: string) => t.replace('python${PYTHON_VERSION} python${PYTHON_VERSION}-venv openjdk', 'python3.11 python3.11-venv openjdk'), /does not install python\$\{PYTHON_VERSION\}/],
    ['the lock without hashes', (t: string) => t.replace('--require-hashes ', ''), /--require-hashes/],
    ['the converters installed', (t: string) => t.replace('-r /tmp/requirements.runtime', '-r /tmp/requirements.wheels'), /--require-hashes/],
    ['no check that the converters are gone', (t: string) => t.replace(/^.*find_spec.*$\n/m, ''), /no converter is importable/],
    ['the wheelhouse in the final image', (t: string) => t.replace('COPY create-bucket.py', 'COPY wheels/ /tmp/wheels/\nCOPY create-bucket.py'), /final stage copies the wheelhouse/],
    ['no venv from the builder', (t: string) => t.replace('COPY --from=builder /opt/fruits/venv /opt/fruits/venv', 'COPY --from=builder /opt/fruits /opt/fruits'), /does not copy the installed venv/],
    ['a chmod of a copied file', (t: string) => t.replace('    minio --version', '    chmod 0755 /usr/local/bin/minio; minio --version'), /changes a copied file/],
    ['a download in the build', (t: string) => t.replace('rm -rf /tmp/wheels', 'curl -fsSLO https://example.org/x; rm -rf /tmp/wheels'), /downloads something/],
  ])('catches %s', (_what, mutate, problem) => {
    const broken = mutate(dockerfileText);
    expect(broken).not.toBe(dockerfileText);
    expect(dockerfileProblems(broken).join('\n')).toMatch(problem);
  });
});
