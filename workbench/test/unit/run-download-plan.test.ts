import { describe, expect, it } from 'vitest';
import { planDownload } from '../../src/storage/download-plan.js';

const o = (key: string) => ({ key, size: 1, etag: '' });
const P = 'runs/r1/';

describe('planDownload', () => {
  it('maps the job outputs to the run folder layout, manifest last', () => {
    const items = planDownload(
      [
        o(`${P}manifest.json`),
        o(`${P}explained_variance.json`),
        o(`${P}features/_SUCCESS`),
        o(`${P}features/part-00000-abc.snappy.parquet`),
        o(`${P}features/.part-00000-abc.snappy.parquet.crc`),
        o(`${P}errors/part-00000-def.snappy.parquet`),
        o(`${P}pca/part-00000-ghi.snappy.parquet`),
        o(`${P}pca_components/part-00000-jkl.snappy.parquet`),
        o(`${P}pca_csv/part-00000-mno.csv`),
        o(`${P}pca_model/metadata/part-00000`),
        o('runs/r10/manifest.json'),
      ],
      P,
    );
    expect(items.map((i) => i.localPath)).toEqual([
      'errors/part-00000-def.snappy.parquet',
      'explained_variance.json',
      'features/part-00000-abc.snappy.parquet',
      'pca.csv',
      'pca/part-00000-ghi.snappy.parquet',
      'pca_components/part-00000-jkl.snappy.parquet',
      'manifest.json',
    ]);
  });

  it('has no manifest when the job did not finish', () => {
    const items = planDownload([o(`${P}features/part-0.parquet`)], P);
    expect(items.map((i) => i.localPath)).not.toContain('manifest.json');
  });

  it('refuses an output with more than one CSV part', () => {
    expect(() => planDownload([o(`${P}pca_csv/part-0.csv`), o(`${P}pca_csv/part-1.csv`)], P)).toThrow(/one CSV/);
  });
});
