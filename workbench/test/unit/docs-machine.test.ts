import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MachineSchema, stampResult, thisMachine } from '../../src/docs/machine.js';

const dir = mkdtempSync(path.join(tmpdir(), 'docs-machine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const other = { cpu_model: 'Elsewhere CPU', cores: 64, memory_gib: 256, os: 'Linux x' };

describe('stampResult', () => {
  it('adds this machine and the file time to a result without them, first in the file', () => {
    const file = path.join(dir, 'a.json');
    writeFileSync(file, JSON.stringify({ images: 390 }));
    const when = new Date('2026-12-01T10:00:00Z');
    utimesSync(file, when, when);
    expect(stampResult(file)).toEqual(['measured_at', 'machine']);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(data)).toEqual(['measured_at', 'machine', 'images']);
    expect(data.measured_at).toBe(when.toISOString());
    expect(data.machine).toEqual(thisMachine());
    expect(MachineSchema.safeParse(data.machine).success).toBe(true);
  });

  it('never overwrites a machine or date already recorded', () => {
    const file = path.join(dir, 'b.json');
    const before = JSON.stringify({ measured_at: '2026-11-30T00:00:00Z', machine: other, images: 1 });
    writeFileSync(file, before);
    expect(stampResult(file)).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
