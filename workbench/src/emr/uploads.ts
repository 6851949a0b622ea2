/** A promote plan's uploads as the one uploader's request (storage/uploader.ts). Pure. */
import path from 'node:path';
import type { UploadRequest } from '../storage/upload-plan.js';
import type { PromotePlan } from './plan.js';

export function uploadRequestOf(plan: Pick<PromotePlan, 'bucket' | 'uploads' | 'mirror'>): UploadRequest {
  return {
    bucket: plan.bucket,
    items: plan.uploads.map((u) => ({ file: { relPath: path.basename(u.source), absPath: u.source, size: u.bytes, md5: u.md5 }, key: u.key })),
    mirror: plan.mirror,
  };
}
