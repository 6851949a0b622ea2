"""Where the job keeps the frames it reads more than once: the featurized rows and the PCA projection.

DISK_ONLY, on the executors' local disks, never in the JVM heap. Why not MEMORY_AND_DISK: the features are
1280 floats (~5 KB) per image, so what is persisted grows with n while nothing else on an executor does. Held in
memory they filled the storage pool and grew the JVM with the input (in local mode the executor is the driver
JVM: the scale bench's driver_jvm_mb grew about 2.3x from 3,120 to 99,840 images with MEMORY_AND_DISK), and on
a cluster they compete with the tasks for the same executor memory. On disk, memory
stays flat with n, and re-reading is cheap next to featurizing: each persisted frame is read two to four times
(the counts, the moments, the projection and the writes), a few MB per thousand images from a local disk.
"""

from __future__ import annotations

from pyspark import StorageLevel

PERSISTED = StorageLevel.DISK_ONLY
