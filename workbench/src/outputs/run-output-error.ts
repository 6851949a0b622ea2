/**
 * A run output parity cannot read: no manifest (the run did not complete, or the path is not a run), a corrupted
 * manifest, a missing Parquet folder or column. It is a ParityError (exit code 6: parity could not be shown), with
 * a message that names the run and the file, and a fix, instead of a stack trace.
 */
import { ParityError } from '../errors.js';

export class RunOutputError extends ParityError {
  constructor(
    /** The run location as the user gave it (folder or URI). */
    readonly location: string,
    message: string,
    fix = 'pass a runs/<run-id> folder or the --output URI of a completed run (its manifest.json is written last)',
    options?: { cause?: unknown },
  ) {
    super(`run ${location}: ${message}`, fix, options);
  }
}
