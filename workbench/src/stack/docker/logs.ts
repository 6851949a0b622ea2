/**
 * Container logs into the state folder, so that a stopped (removed) stack still leaves its logs where the
 * native backend leaves them: <stateDir>/docker/logs/<container>.log. Saved on stop and after a failed start.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';

/**
 * Docker's log stream for a container without a TTY is framed: 8-byte header (stream 1=stdout/2=stderr, 3 zero
 * bytes, big-endian payload length) then the payload. Returns the payloads concatenated in order. Pure.
 */
export function demuxDockerLog(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i]!;
    const size = buf.readUInt32BE(i + 4);
    if (type > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) return buf; // not framed (TTY): raw
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return parts.length > 0 ? Buffer.concat(parts) : buf;
}

export function containerLogFile(logDir: string, containerName: string): string {
  return path.join(logDir, `${containerName.replace(/^\//, '')}.log`);
}

/** Best effort: a container already gone has no logs to save; never throws. */
export async function saveLogs(docker: Docker, containers: Docker.ContainerInfo[], logDir: string): Promise<void> {
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  await Promise.all(
    containers.map(async (c) => {
      try {
        const raw = (await docker.getContainer(c.Id).logs({ stdout: true, stderr: true, follow: false, timestamps: true })) as unknown as Buffer;
        writeFileSync(containerLogFile(logDir, c.Names?.[0] ?? c.Id), demuxDockerLog(Buffer.from(raw)), { mode: 0o600 });
      } catch {
        // gone already, or the engine went away: nothing to save
      }
    }),
  );
}
