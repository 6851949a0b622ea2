/** Paginated listing of a prefix. The one place that walks ListObjectsV2 continuation tokens. */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { RemoteObject } from './upload-plan.js';

export async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<RemoteObject[]> {
  const objects: RemoteObject[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      { abortSignal: signal },
    );
    for (const o of page.Contents ?? []) {
      if (o.Key !== undefined) objects.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '' });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}
