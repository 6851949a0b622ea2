"""The file spark-submit runs: `spark-submit --py-files fruits_pipeline.zip entrypoint.py --input ... --output ...`.

Kept thin on purpose: all logic lives in the fruits_pipeline package (docs/job-contract.md).
"""

import sys

from fruits_pipeline.main import main

if __name__ == "__main__":
    sys.exit(main())
