/**
 * A bootstrap-action failure, read from DescribeCluster (pure). EMR ends such a cluster with
 * Status.StateChangeReason.Code = BOOTSTRAP_FAILURE and a message naming the instance(s) and the action, e.g.
 * "On the master instance (i-0abc...), bootstrap action 1 returned a non-zero return code". No step ever starts,
 * so waiting for a step log is pointless: what explains the failure is the node's bootstrap-actions stderr,
 * which EMR copies to <LogUri>/<cluster id>/node/<instance id>/bootstrap-actions/<n>/stderr.gz
 * (Amazon EMR Management Guide, "View log files": node/<instance id>/bootstrap-actions/).
 */
import type { Cluster } from '@aws-sdk/client-emr';
import { asPrefix, tryParseS3Uri } from '../storage/s3-uri.js';

export const BOOTSTRAP_FAILURE = 'BOOTSTRAP_FAILURE';

export interface S3Location {
  bucket: string;
  key: string;
  uri: string;
}

export interface BootstrapFailure {
  clusterId: string;
  state: string | undefined;
  message: string;
  /** 1-based, as EMR numbers the actions; from the message, else the only configured action. */
  actionNumber: number | undefined;
  /** Instances the message names (EMR names one or two "including ..." when several failed). */
  instanceIds: string[];
  /** The stderr of each named instance's failed action; empty when the message names no instance or action. */
  stderr: S3Location[];
  /** Where every node's logs are, for when the message names none. */
  nodeLogsPrefix: S3Location | undefined;
}

/** s3://, s3n:// (what DescribeCluster often returns for LogUri) or s3a:// -> bucket + key prefix ending in '/'. */
export function parseLogUri(logUri: string): { bucket: string; prefix: string } {
  const loc = tryParseS3Uri(logUri.trim());
  if (!loc) throw new Error(`not an S3 log URI: ${JSON.stringify(logUri)}`);
  return { bucket: loc.bucket, prefix: asPrefix(loc.key) };
}

const location = (bucket: string, key: string): S3Location => ({ bucket, key, uri: `s3://${bucket}/${key}` });

export function bootstrapStderrLocation(logUri: string, clusterId: string, instanceId: string, actionNumber: number): S3Location {
  const { bucket, prefix } = parseLogUri(logUri);
  return location(bucket, `${prefix}${clusterId}/node/${instanceId}/bootstrap-actions/${actionNumber}/stderr.gz`);
}

export function nodeLogsPrefix(logUri: string, clusterId: string): S3Location {
  const { bucket, prefix } = parseLogUri(logUri);
  return location(bucket, `${prefix}${clusterId}/node/`);
}

/**
 * The failure, when the cluster's state-change reason is a bootstrap failure; undefined otherwise (a cluster
 * still starting, a step failure, a user termination...). `configuredActions` = how many BootstrapActions the
 * plan had: with one, a message without a number still points at it.
 */
export function detectBootstrapFailure(
  cluster: Pick<Cluster, 'Id' | 'Status' | 'LogUri'>,
  configuredActions = 1,
): BootstrapFailure | undefined {
  const reason = cluster.Status?.StateChangeReason;
  if (reason?.Code !== BOOTSTRAP_FAILURE) return undefined;
  const clusterId = cluster.Id ?? '';
  const message = reason.Message ?? '';
  const numbered = /bootstrap action (\d+)/i.exec(message);
  const actionNumber = numbered ? Number(numbered[1]) : configuredActions === 1 ? 1 : undefined;
  const instanceIds = [...new Set(message.match(/\bi-[0-9a-f]{8,17}\b/g) ?? [])];
  const logUri = cluster.LogUri;
  return {
    clusterId,
    state: cluster.Status?.State,
    message,
    actionNumber,
    instanceIds,
    stderr: logUri && actionNumber !== undefined ? instanceIds.map((i) => bootstrapStderrLocation(logUri, clusterId, i, actionNumber)) : [],
    nodeLogsPrefix: logUri ? nodeLogsPrefix(logUri, clusterId) : undefined,
  };
}
