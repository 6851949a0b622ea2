"""Fruits! PySpark job: images -> broadcast-weight MobileNetV2 features -> Spark ML PCA -> Parquet/CSV.

The job's interface (command line, outputs, manifest) is docs/job-contract.md at the repository root.
"""

__version__ = "0.1.0"
