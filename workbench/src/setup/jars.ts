/**
 * The s3a connector jars (hadoop-aws + the AWS SDK bundle it was built against) that match pyspark's Hadoop
 * client, from Maven Central into <cacheDir>/jars/, each verified against the sha256 pinned in versions.json.
 * A cached jar is hashed again whenever its size or mtime differ from those recorded when it was verified (a
 * `.verified` sidecar), so a truncated or replaced jar is refused and downloaded again, without re-hashing
 * 270 MB on every run.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Output } from '../terminal/index.js';
import { downloadVerified, sha256File } from './download.js';
import { lockedCachedStep } from './step.js';
import type { MavenJar } from './versions.js';

export const MAVEN_CENTRAL = 'https://repo1.maven.org/maven2';

export function jarFileName(jar: MavenJar): string {
  return `${jar.artifact}-${jar.version}.jar`;
}

export function mavenUrl(jar: MavenJar, base = MAVEN_CENTRAL): string {
  return `${base.replace(/\/$/, '')}/${jar.group.replace(/\./g, '/')}/${jar.artifact}/${jar.version}/${jarFileName(jar)}`;
}

/** What the sidecar records: the pinned hash and the file's identity when it was verified. */
function fingerprint(file: string, jar: MavenJar): string {
  const st = statSync(file);
  return `${jar.sha256} ${st.size} ${st.mtimeMs}\n`;
}

function markVerified(file: string, jar: MavenJar): void {
  writeFileSync(`${file}.verified`, fingerprint(file, jar));
}

/** Returns the jar's path when it is present with the pinned bytes; removes it when it is present with others. */
async function verifiedCached(file: string, jar: MavenJar, out: Output): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    if (readFileSync(`${file}.verified`, 'utf8') === fingerprint(file, jar)) return file;
  } catch {
    // no sidecar: hash it
  }
  if ((await sha256File(file)) === jar.sha256) {
    markVerified(file, jar);
    return file;
  }
  out.warn(`${path.basename(file)} in the cache does not match its pinned sha256: downloading it again`);
  rmSync(file, { force: true });
  rmSync(`${file}.verified`, { force: true });
  return undefined;
}

export async function ensureJars(
  jars: MavenJar[],
  dir: string,
  out: Output,
  signal: AbortSignal,
  opts: { baseUrl?: string; what?: string } = {},
): Promise<string[]> {
  // All present with their pinned bytes (the usual case): one line, not one per jar (a release may pin dozens).
  const cached = await Promise.all(jars.map((jar) => verifiedCached(path.join(dir, jarFileName(jar)), jar, out)));
  if (jars.length > 1 && cached.every((p) => p !== undefined)) {
    out.info(`${opts.what ?? 's3a jars'}: cached (${jars.length} jars, sha256-verified)`);
    return cached as string[];
  }
  const paths: string[] = [];
  for (const jar of jars) {
    const file = path.join(dir, jarFileName(jar));
    const url = mavenUrl(jar, opts.baseUrl);
    paths.push(
      await lockedCachedStep({
        out,
        what: jarFileName(jar),
        detail: 'from Maven Central, sha256-verified',
        lock: `${file}.lock`,
        signal,
        holder: 'set-up',
        doing: `downloading ${jarFileName(jar)}`,
        done: () => verifiedCached(file, jar, out),
        make: async () => {
          const task = out.task(jarFileName(jar), { unit: 'bytes' });
          try {
            await downloadVerified({ url, dest: file, sha256: jar.sha256, signal, onProgress: (done, total) => task.progress(done, total) });
          } finally {
            task.end();
          }
          markVerified(file, jar);
          return file;
        },
      }),
    );
  }
  return paths;
}
