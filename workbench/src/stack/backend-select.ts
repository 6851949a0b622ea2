/**
 * Which stack backend a command uses: `--backend` / WORKBENCH_BACKEND / stack.backend = auto | native | docker.
 * auto = Docker when an engine answers, native otherwise (no compose CLI is needed: the workbench realises
 * docker-compose.yml through the Engine API). The decision is pure given
 * the probe's answer; the probe is the only effect, bounded in time, and is not called for `native`.
 */
import { ServiceError } from '../errors.js';
import { connectDocker, pingDocker } from './docker/engine.js';

export type RequestedBackend = 'auto' | 'native' | 'docker';
export type Backend = 'native' | 'docker';

export interface ProbeResult {
  ok: boolean;
  /** Why Docker cannot be used, in words the user can act on (when !ok). */
  reason?: string;
}

export interface BackendChoice {
  backend: Backend;
  /** One line for the user: which backend and why. */
  reason: string;
}

export async function selectBackend(requested: RequestedBackend, probe: () => Promise<ProbeResult>): Promise<BackendChoice> {
  switch (requested) {
    case 'native':
      return { backend: 'native', reason: 'native backend (requested)' };
    case 'docker': {
      const p = await probe();
      if (!p.ok) {
        throw new ServiceError(
          `--backend docker was requested but Docker cannot be used: ${p.reason ?? 'no Docker engine answered'}`,
          'start Docker (Docker Desktop, `colima start`, or `sudo systemctl start docker`), or use --backend native',
        );
      }
      return { backend: 'docker', reason: 'docker backend (requested)' };
    }
    case 'auto': {
      const p = await probe();
      return p.ok
        ? { backend: 'docker', reason: 'docker backend (auto: a Docker engine answered)' }
        : { backend: 'native', reason: `native backend (auto: ${p.reason ?? 'no Docker engine answered'})` };
    }
    default: {
      const never: never = requested;
      throw new ServiceError(`unknown stack backend ${JSON.stringify(never)}`, 'use --backend auto, native or docker');
    }
  }
}

export const DOCKER_PROBE_TIMEOUT_MS = 2000;

/**
 * The real probe: pings the engine the docker CLI would use (DOCKER_HOST, else the current docker context, else
 * the default socket) with a short timeout. Never throws.
 */
export function dockerProbe(env: Record<string, string | undefined>, timeoutMs = DOCKER_PROBE_TIMEOUT_MS): () => Promise<ProbeResult> {
  return async () => {
    try {
      const docker = await connectDocker(env, { timeoutMs });
      return await pingDocker(docker, timeoutMs);
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  };
}
