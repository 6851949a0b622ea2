/** A small throughput profile for the forecast tests (figures chosen for easy arithmetic, not measured). */
import { parseThroughputProfile, THROUGHPUT_PROFILE_FORMAT } from '../../src/forecast/profile.js';

export const testProfile = parseThroughputProfile(
  {
    format: THROUGHPUT_PROFILE_FORMAT,
    measuredAt: '2026-12-04T12:00:00.000Z',
    machine: { cpuModel: 'Test CPU', cores: 2 },
    sources: ['test'],
    fixedSeconds: 30,
    engines: { onnxruntime: { imagesPerSecondPerCore: 40, basis: 'test' }, keras: { imagesPerSecondPerCore: 20, basis: 'test' } },
  },
  'test profile',
);
