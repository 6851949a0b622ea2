/**
 * Turns AWS SDK failures the user can act on (no credentials, access denied, bucket owned by someone else)
 * into a CloudError with a fix. Anything unexpected keeps its message and is wrapped with what was being done.
 */
import { CloudError } from '../errors.js';

export function awsErrorName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

export function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export function toCloudError(err: unknown, doing: string): Error {
  if (err instanceof CloudError) return err;
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new CloudError(
      `${doing}: no AWS credentials found (the workbench only uses the standard AWS credential chain)`,
      'sign in with `aws configure`, `aws sso login --profile P` + AWS_PROFILE=P, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the env',
      { cause: err },
    );
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'UnauthorizedOperation' || httpStatus(err) === 403) {
    return new CloudError(`${doing}: access denied (${message})`, 'give your IAM identity the permissions listed in docs/promote.md', { cause: err });
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException') {
    return new CloudError(`${doing}: your AWS session expired`, 'sign in again (e.g. `aws sso login`)', { cause: err });
  }
  return new CloudError(`${doing}: ${name ? `${name}: ` : ''}${message}`, 'see the AWS message above; nothing was left running', { cause: err });
}
