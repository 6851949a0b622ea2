/**
 * The base image the Spark image is built FROM, chosen in one place (versions.json `docker`): the official Debian
 * bookworm-slim pinned by digest when it is here or can be pulled; otherwise, on Linux as root with debootstrap,
 * a local base made from Debian's own packages (`debootstrap --variant=minbase bookworm` + `docker import`), said
 * so on the terminal; otherwise a one-line error naming both ways out.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import type { Output } from '../../terminal/index.js';
import { AbortedError, PrerequisiteError } from '../../errors.js';
import { formatTail } from '../../host/log-tail.js';
import { hasImage } from './engine.js';

export interface BasePins {
  /** Official image, pinned by digest. */
  baseImage: string;
  /** The local fallback: debootstrap of this suite and variant from this mirror, imported under this tag. */
  localBase: { suite: string; variant: string; mirror: string; tag: string };
}

export interface ChosenBase {
  ref: string;
  /** The engine's image id: part of the Spark image's cache key. */
  id: string;
  local: boolean;
}

/** Pulls an image; resolves false (never throws) when the registry cannot be reached or refuses. */
async function tryPull(docker: Docker, ref: string, signal: AbortSignal): Promise<boolean> {
  try {
    const stream = await docker.pull(ref, { abortSignal: signal });
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, res: { error?: string }[]) => (err ? reject(err) : res.some((r) => r.error) ? reject(new Error(res.find((r) => r.error)!.error)) : resolve())));
    return true;
  } catch {
    if (signal.aborted) throw new AbortedError();
    return false;
  }
}

/** Why debootstrap cannot run here, or undefined when it can. */
export async function debootstrapUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'debootstrap needs Linux';
  if (process.getuid?.() !== 0) return 'debootstrap needs root';
  try {
    await execa('debootstrap', ['--version'], { timeout: 10_000 });
    return undefined;
  } catch {
    return 'debootstrap is not installed (apt-get install debootstrap)';
  }
}

async function buildLocalBase(docker: Docker, pins: BasePins, workDir: string, logFile: string, signal: AbortSignal): Promise<void> {
  const rootfs = path.join(workDir, `${pins.localBase.suite}-${pins.localBase.variant}`);
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(path.dirname(logFile), { recursive: true });
  try {
    const r = await execa('debootstrap', [`--variant=${pins.localBase.variant}`, pins.localBase.suite, rootfs, pins.localBase.mirror], {
      stdout: { file: logFile },
      stderr: { file: logFile, append: true },
      cancelSignal: signal,
      reject: false,
    });
    if (signal.aborted) throw new AbortedError();
    if (r.failed) throw new PrerequisiteError(`debootstrap of Debian ${pins.localBase.suite} failed\n${formatTail(logFile)}`, `read ${logFile}; check access to ${pins.localBase.mirror}, then rerun`);
    const [repo, tag] = pins.localBase.tag.split(':') as [string, string];
    const tar = execa('tar', ['-C', rootfs, '-c', '.'], { cancelSignal: signal, buffer: false });
    // The Dockerfile sets what the image needs (ENV, ENTRYPOINT): the imported root filesystem needs no config.
    const stream = await docker.importImage(tar.stdout as unknown as string, { repo, tag });
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    await tar;
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

async function idOf(docker: Docker, ref: string): Promise<string> {
  return (await docker.getImage(ref).inspect()).Id;
}

/** The base to build FROM: present, pulled, or made locally; see the file comment. */
export async function ensureBaseImage(
  docker: Docker,
  pins: BasePins,
  o: { workDir: string; logFile: string; out: Output; signal: AbortSignal; debootstrapUnavailable?: () => Promise<string | undefined> },
): Promise<ChosenBase> {
  if (await hasImage(docker, pins.baseImage)) return { ref: pins.baseImage, id: await idOf(docker, pins.baseImage), local: false };
  if (await hasImage(docker, pins.localBase.tag)) {
    o.out.info(`docker base image: ${pins.localBase.tag} (built locally from Debian packages; ${pins.baseImage} is not here)`);
    return { ref: pins.localBase.tag, id: await idOf(docker, pins.localBase.tag), local: true };
  }
  o.out.info(`docker base image: pulling ${pins.baseImage}...`);
  if (await tryPull(docker, pins.baseImage, o.signal)) return { ref: pins.baseImage, id: await idOf(docker, pins.baseImage), local: false };
  const why = await (o.debootstrapUnavailable ?? debootstrapUnavailable)();
  if (why) {
    throw new PrerequisiteError(
      `the docker backend cannot get its base image: ${pins.baseImage} cannot be pulled and ${why}`,
      `make ${pins.baseImage} pullable (registry access or \`docker load\`), or run as root on Linux with debootstrap installed so the workbench builds the base locally`,
    );
  }
  o.out.info(`docker base image: ${pins.baseImage} cannot be pulled; building ${pins.localBase.tag} from Debian packages (debootstrap --variant=${pins.localBase.variant} ${pins.localBase.suite}, ~2 min); log: ${o.logFile}`);
  await buildLocalBase(docker, pins, o.workDir, o.logFile, o.signal);
  return { ref: pins.localBase.tag, id: await idOf(docker, pins.localBase.tag), local: true };
}
