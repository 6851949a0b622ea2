import { describe, expect, it, vi } from 'vitest';
import { ServiceError } from '../../src/errors.js';
import { dockerProbe, selectBackend, type ProbeResult } from '../../src/stack/backend-select.js';

const answering = (): Promise<ProbeResult> => Promise.resolve({ ok: true });
const silent = (reason = 'no Docker socket at /var/run/docker.sock') => (): Promise<ProbeResult> => Promise.resolve({ ok: false, reason });

describe('selectBackend', () => {
  it('native: never probes Docker', async () => {
    const probe = vi.fn(answering);
    expect(await selectBackend('native', probe)).toEqual({ backend: 'native', reason: 'native backend (requested)' });
    expect(probe).not.toHaveBeenCalled();
  });

  it('auto with a Docker engine: docker, and says why', async () => {
    const choice = await selectBackend('auto', answering);
    expect(choice.backend).toBe('docker');
    expect(choice.reason).toMatch(/auto: a Docker engine answered/);
  });

  it('auto without a Docker engine: native, with the probe reason', async () => {
    const choice = await selectBackend('auto', silent());
    expect(choice).toEqual({ backend: 'native', reason: 'native backend (auto: no Docker socket at /var/run/docker.sock)' });
  });

  it('auto when the engine does not answer in time: native, saying why', async () => {
    const choice = await selectBackend('auto', silent('the Docker daemon did not answer within 2s'));
    expect(choice.backend).toBe('native');
    expect(choice.reason).toMatch(/did not answer within 2s/);
  });

  it('docker with an engine: docker', async () => {
    expect(await selectBackend('docker', answering)).toEqual({ backend: 'docker', reason: 'docker backend (requested)' });
  });

  it('docker without an engine: a ServiceError naming the cause and the fix', async () => {
    const err = await selectBackend('docker', silent('the Docker daemon refused the connection (not running?)')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    const e = err as ServiceError;
    expect(e.message).toMatch(/--backend docker/);
    expect(e.message).toMatch(/refused the connection/);
    expect(e.fix).toMatch(/start Docker/);
    expect(e.fix).toMatch(/--backend native/);
    expect(e.exitCode).toBe(4);
  });

  it('docker when the probe gives no reason still explains', async () => {
    const err = (await selectBackend('docker', () => Promise.resolve({ ok: false })).catch((e: unknown) => e)) as ServiceError;
    expect(err.message).toMatch(/no Docker engine answered/);
  });

  it('rejects an unknown backend name', async () => {
    await expect(selectBackend('podman' as never, answering)).rejects.toThrow(/unknown stack backend "podman"/);
  });
});

describe('dockerProbe', () => {
  it('reports a socket that does not exist, quickly and without throwing', async () => {
    const probe = dockerProbe({ PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: 'unix:///nonexistent/fruits-docker.sock' }, 1000);
    const result = await probe();
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/no Docker socket at \/nonexistent\/fruits-docker.sock/);
  });

  it('reports a TCP daemon that is not listening', async () => {
    const probe = dockerProbe({ PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: 'tcp://127.0.0.1:1' }, 1000);
    const result = await probe();
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/refused|did not answer/);
  });
});
