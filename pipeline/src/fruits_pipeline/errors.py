"""The one error type the job reports as `fruits-job: error: ...` (a user-facing reason, no traceback)."""


class JobError(Exception):
    """Bad input or an unmet precondition: the message names the thing and the fix."""
