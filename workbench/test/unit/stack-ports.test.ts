import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isPortFree, pickFreePorts } from '../../src/stack/ports.js';

describe('pickFreePorts', () => {
  it('returns distinct loopback ports that can be bound', async () => {
    const ports = await pickFreePorts(6);
    expect(new Set(ports).size).toBe(6);
    for (const p of ports) {
      expect(p).toBeGreaterThan(1024);
      expect(await isPortFree(p)).toBe(true);
    }
  });

  it('isPortFree is false while something listens there', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    expect(await isPortFree(port)).toBe(false);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await isPortFree(port)).toBe(true);
  });
});
