"""The one error type the job reports as `fruits-job: error: ...` (a user-facing reason, no traceback)."""


class JobError(Exception):
    """Bad input or an unmet precondition: the message names the thing and the fix."""


class ModelNotConvertedError(JobError):
    """The model must be converted and this Python has no converter (TensorFlow): the Docker image of a release
    leaves the converters out. The message names the command that converts it where they are installed."""
