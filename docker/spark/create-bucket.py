"""The stack's one-shot bucket job (docker-compose.yml `create-bucket`): creates FRUITS_BUCKET in FRUITS_REGION on
the stack's MinIO, or finds it there, and exits 0; any other outcome exits non-zero with the reason. Uses pyarrow's
S3 client (in the lock already), so the image needs no extra S3 tool. Credentials come from the environment."""
import os
import sys

from pyarrow import fs


def main() -> int:
    bucket = os.environ["FRUITS_BUCKET"]
    s3 = fs.S3FileSystem(
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        region=os.environ["AWS_REGION"],
        endpoint_override=os.environ.get("FRUITS_S3_ENDPOINT", "minio:9000"),
        scheme="http",
        allow_bucket_creation=True,
    )
    if s3.get_file_info(bucket).type == fs.FileType.NotFound:
        s3.create_dir(bucket)
    if s3.get_file_info(bucket).type != fs.FileType.Directory:
        print(f"create-bucket: {bucket} is not there after creating it", file=sys.stderr)
        return 1
    print(f"create-bucket: {bucket} ready in {os.environ['AWS_REGION']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
