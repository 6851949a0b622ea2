"""Files on any Hadoop filesystem (file://, s3a://, s3://) through the JVM's FileSystem API, from the driver.

Spark already has the right filesystem, endpoint and credentials configured for these URIs; using the same API
for our small files (JSON, the CSV assembly, cleanup) means no second S3 client and no second configuration.
"""

from __future__ import annotations

from pyspark.sql import SparkSession


class Storage:
    def __init__(self, spark: SparkSession):
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, uri: str):
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def _fs(self, path):
        return path.getFileSystem(self._conf)

    def exists(self, uri: str) -> bool:
        p = self._path(uri)
        return bool(self._fs(p).exists(p))

    def delete(self, uri: str) -> bool:
        """Delete a file or a folder (recursively); False when it was not there."""
        p = self._path(uri)
        fs = self._fs(p)
        return bool(fs.exists(p) and fs.delete(p, True))

    def write_bytes(self, uri: str, data: bytes) -> None:
        p = self._path(uri)
        out = self._fs(p).create(p, True)
        try:
            out.write(bytearray(data))
        finally:
            out.close()

    def concatenate(self, head: bytes, sources: list[str], dst: str, buffer_bytes: int) -> None:
        """Write `head`, then each source file's bytes in order, into `dst` (replaced). The bytes are streamed by the
        JVM (Hadoop's IOUtils.copyBytes) through one buffer of `buffer_bytes`: they never enter Python, and no
        source is held whole in memory."""
        d = self._path(dst)
        out = self._fs(d).create(d, True)
        try:
            out.write(bytearray(head))
            for uri in sources:
                s = self._path(uri)
                stream = self._fs(s).open(s, buffer_bytes)
                try:
                    self._jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, out, buffer_bytes, False)
                finally:
                    stream.close()
        finally:
            out.close()

    def list_files(self, uri: str) -> list[str]:
        """Names of the files directly in a folder (the local filesystem hides its .crc checksum files)."""
        p = self._path(uri)
        return sorted(
            s.getPath().getName() for s in self._fs(p).listStatus(p) if s.isFile()
        )

    def rename(self, src: str, dst: str) -> None:
        s, d = self._path(src), self._path(dst)
        if not self._fs(s).rename(s, d):
            raise OSError(f"cannot rename {src} to {dst}")

    def qualify(self, uri: str) -> str:
        p = self._path(uri)
        return self._fs(p).makeQualified(p).toString()
