import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Output } from '../../src/commands/types.js';
import { ChecksumMismatchError } from '../../src/setup/download.js';
import { ensureJars, jarFileName, mavenUrl } from '../../src/setup/jars.js';
import { checkJarPins } from '../../src/setup/versions.js';
import { RELEASES } from '../../src/config/releases.js';
import { linesOutput } from '../../src/terminal/index.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const GOOD = Buffer.from('the pinned jar bytes\n'.repeat(1000));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function recorder() {
  const lines: string[] = [];
  const out: Output = linesOutput((l) => lines.push(l));
  return { out, lines };
}

let server: Server;
let base: string;
let served: Buffer = GOOD;
let requests = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    res.writeHead(200, { 'content-length': served.length });
    res.end(served);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}/maven2`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const jar = { group: 'org.example.test', artifact: 'fake-aws', version: '1.0.0', sha256: sha(GOOD) };

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'wb-jars-'));
}

describe('ensureJars', () => {
  it('downloads, verifies and then reports the jar as cached without downloading again', async () => {
    const dir = tempDir();
    served = GOOD;
    const { out, lines } = recorder();
    const [file] = await ensureJars([jar], dir, out, new AbortController().signal, { baseUrl: base });
    expect(file).toBe(path.join(dir, 'fake-aws-1.0.0.jar'));
    expect(readFileSync(file!)).toEqual(GOOD);
    expect(lines[0]).toBe('installing fake-aws-1.0.0.jar (from Maven Central, sha256-verified)...');
    const before = requests;
    const again = recorder();
    await ensureJars([jar], dir, again.out, new AbortController().signal, { baseUrl: base });
    expect(requests).toBe(before);
    expect(again.lines).toEqual(['fake-aws-1.0.0.jar: cached']);
    rmSync(dir, { recursive: true });
  });

  it('refuses a jar whose bytes do not match the pinned sha256 and leaves nothing behind', async () => {
    const dir = tempDir();
    served = Buffer.from('tampered bytes');
    const err = await ensureJars([jar], dir, recorder().out, new AbortController().signal, { baseUrl: base }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toContain(`expected sha256 ${jar.sha256}, got ${sha(served)}`);
    expect(readdirSync(dir)).toEqual([]); // no jar, no .part file, no sidecar
    rmSync(dir, { recursive: true });
  });

  it('replaces a cached jar that was altered after it was verified', async () => {
    const dir = tempDir();
    served = GOOD;
    await ensureJars([jar], dir, recorder().out, new AbortController().signal, { baseUrl: base });
    writeFileSync(path.join(dir, jarFileName(jar)), 'truncated');
    served = GOOD;
    const { out, lines } = recorder();
    const [file] = await ensureJars([jar], dir, out, new AbortController().signal, { baseUrl: base });
    expect(readFileSync(file!)).toEqual(GOOD);
    expect(lines.some((l) => l.startsWith('warning:') && l.includes('does not match its pinned sha256'))).toBe(true);
    rmSync(dir, { recursive: true });
  });

  it('fails with a clear message when the repository is unreachable', async () => {
    const dir = tempDir();
    const err = await ensureJars([jar], dir, recorder().out, new AbortController().signal, { baseUrl: 'http://127.0.0.1:9/maven2' }).catch(
      (e: unknown) => e as Error,
    );
    expect((err as Error).message).toMatch(/cannot download http:\/\/127\.0\.0\.1:9\/maven2\/org\/example\/test\/fake-aws\/1\.0\.0\/fake-aws-1\.0\.0\.jar/);
    expect(existsSync(path.join(dir, jarFileName(jar)))).toBe(false);
    rmSync(dir, { recursive: true });
  });
});

describe('pins', () => {
  it('builds Maven Central URLs for every release\'s s3a jars, each with a sha256, hadoop-aws matching the release\'s Hadoop', () => {
    for (const r of RELEASES) {
      const aws = r.s3a.jars.find((j) => j.artifact === 'hadoop-aws');
      expect(aws, r.label).toBeDefined();
      expect(aws!.version, r.label).toBe(r.hadoop);
      expect(mavenUrl(aws!)).toBe(`https://repo1.maven.org/maven2/org/apache/hadoop/hadoop-aws/${r.hadoop}/hadoop-aws-${r.hadoop}.jar`);
      for (const j of r.s3a.jars) expect(j.sha256, `${r.label} ${j.artifact}`).toMatch(/^[0-9a-f]{64}$/);
      expect(() => checkJarPins(r)).not.toThrow();
    }
  });

  it('pins the v1 SDK bundle on Hadoop 3.3 and the v2 SDK (never the v1 bundle) on Hadoop 3.4', () => {
    for (const r of RELEASES) {
      const v1 = r.s3a.jars.some((j) => j.artifact === 'aws-java-sdk-bundle');
      if (r.hadoop.startsWith('3.3.')) {
        expect(v1, r.label).toBe(true);
        expect(r.s3a.credentialsProvider).toBe('com.amazonaws.auth.EnvironmentVariableCredentialsProvider');
      } else {
        expect(v1, r.label).toBe(false);
        expect(r.s3a.jars.some((j) => j.group === 'software.amazon.awssdk' && j.artifact === 's3'), r.label).toBe(true);
        expect(r.s3a.credentialsProvider).toBe('software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider');
      }
    }
  });

  it('refuses a release whose jar has no valid sha256', () => {
    const r = RELEASES[0]!;
    const bad = { ...r, s3a: { ...r.s3a, jars: [{ ...r.s3a.jars[0]!, sha256: 'abc' }] } };
    expect(() => checkJarPins(bad)).toThrow(/has no valid sha256 pin/);
  });
});
