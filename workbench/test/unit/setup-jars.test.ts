import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Output } from '../../src/commands/types.js';
import { ChecksumMismatchError } from '../../src/setup/download.js';
import { ensureJars, jarFileName, mavenUrl } from '../../src/setup/jars.js';
import { readVersions } from '../../src/setup/versions.js';
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
  it('builds Maven Central URLs for the pinned s3a jars, each with a sha256', () => {
    const v = readVersions(ROOT);
    expect(v.s3aJars.map((j) => mavenUrl(j))).toEqual([
      'https://repo1.maven.org/maven2/org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar',
      'https://repo1.maven.org/maven2/com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar',
    ]);
    for (const j of v.s3aJars) expect(j.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(v.s3aJars[0]!.version).toBe(v.hadoopClient);
  });
});
