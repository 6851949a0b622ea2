import { describe, expect, it } from 'vitest';
import { costOf } from '../../src/report/cost.js';

const manifest = { started_at: '2026-12-04T12:00:00Z', finished_at: '2026-12-04T12:10:00Z' };

describe('the report puts the forecast beside what the run measured', () => {
  it('a real promote: promote-outcome.json phases, forecast and actual side by side', () => {
    const phases = [
      { phase: 'provisioning+bootstrap', predictedMinutes: 12, actualMinutes: 9.5 },
      { phase: 'step', predictedMinutes: 20.4, actualMinutes: null },
    ];
    expect(costOf({ estimate: { eurPerHour: 0.74 }, outcome: { elapsedMs: 60_000, phases } }, manifest).phases).toEqual(phases);
  });

  it('a rehearsal: its step check, in minutes', () => {
    const view = costOf({ outcome: { rehearsal: true, forecastCheck: { predictedSeconds: 330, measuredSeconds: 279, errorPct: -15.5 } } }, manifest);
    expect(view.phases).toEqual([{ phase: 'step (rehearsal, local YARN)', predictedMinutes: 5.5, actualMinutes: 4.65 }]);
  });

  it('no outcome yet: the forecast alone; no forecast: nothing', () => {
    const forecast = { run: { totalMinutes: 34, phases: { provisioning: { minutes: 7 }, bootstrap: { minutes: 5 }, step: { minutes: 20 }, teardown: { minutes: 2 } } } };
    expect(costOf({ forecast }, manifest).phases).toEqual([
      { phase: 'provisioning', predictedMinutes: 7, actualMinutes: null },
      { phase: 'bootstrap', predictedMinutes: 5, actualMinutes: null },
      { phase: 'step', predictedMinutes: 20, actualMinutes: null },
      { phase: 'teardown', predictedMinutes: 2, actualMinutes: null },
      { phase: 'total', predictedMinutes: 34, actualMinutes: null },
    ]);
    expect(costOf({}, manifest).phases).toEqual([]);
  });
});
