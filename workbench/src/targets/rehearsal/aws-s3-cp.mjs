#!/usr/bin/env node
// The rehearsal's stand-in for the one aws CLI call the bootstrap action makes: `aws s3 cp [--only-show-errors]
// [--recursive] s3://BUCKET/KEY DEST`, served by the local S3 endpoint (MinIO) through the real AWS SDK.
// Endpoint and credentials come from the environment (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, ...), never argv.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const args = process.argv.slice(2).filter((a) => a !== '--only-show-errors');
if (args[0] !== 's3' || args[1] !== 'cp') {
  console.error(`aws (rehearsal stand-in): only "aws s3 cp" exists here, not "aws ${args.join(' ')}"`);
  process.exit(2);
}
const recursive = args.includes('--recursive');
const [src, dest] = args.slice(2).filter((a) => a !== '--recursive');
const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(src ?? '');
if (!m || !dest) {
  console.error(`aws (rehearsal stand-in): usage: aws s3 cp [--recursive] s3://BUCKET/KEY DEST (got ${args.join(' ')})`);
  process.exit(2);
}
const [, bucket, key] = m;
const s3 = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL_S3, forcePathStyle: true, region: process.env.AWS_REGION });
const get = async (k, file) => {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, await res.Body.transformToByteArray());
};
try {
  if (!recursive) {
    await get(key, dest.endsWith('/') ? path.join(dest, path.basename(key)) : dest);
  } else {
    const prefix = key.endsWith('/') || key === '' ? key : `${key}/`;
    let token;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) await get(o.Key, path.join(dest, o.Key.slice(prefix.length)));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
} catch (err) {
  console.error(`fatal error: ${err.name ?? 'Error'}: ${err.message} (s3://${bucket}/${key})`);
  process.exit(1);
}
