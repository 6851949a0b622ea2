"""moto server (moto 5.1.22) with AWS-shaped EMR Serverless answers where moto has none (issue 22).

Started by workbench/test/helpers/moto.ts (`startMoto({ script })`) instead of `python -m moto.server`. Each patch
stands in for what AWS does and moto does not:

- Timestamps: moto answers createdAt/updatedAt as ISO strings; AWS (and the SDK's parser) use epoch seconds.
  They are stored as numbers here.
- Release labels: moto's create_application accepts only `emr-[0-9]{1}\\.[0-9]{1,2}\\.0`, so it rejects AWS's new
  shape `emr-spark-8.1.0`, which AWS accepts. A label `emr-spark-X.Y.Z` is passed to moto's check as emr-7.0.0
  and stored as given. Other labels still meet moto's own check.
- Application states: AWS creates an application CREATED and starts it on the first job run (autoStart); moto
  makes it STARTED at once. Here it is CREATED, and StartJobRun starts it.
- Job runs: moto records them as SUCCESS at once. Here a run goes through the states scripted in the JSON file
  named by $MOTO_SLS_SCRIPT, one state per GetJobRun (the last one repeats), as a real run does over time:
  {"states": ["PENDING", "RUNNING", "FAILED"], "stateDetails": "...", "driverStderr": "..."}. When a run reaches
  FAILED, its driver stderr is written gzipped to <logUri>applications/<app>/jobs/<run>/SPARK_DRIVER/stderr.gz in
  moto's S3, where EMR Serverless writes it. CancelJobRun stays moto's (CANCELLED); a cancelled run stays so.
- Billed usage: moto answers billedResourceUtilization as zeros. A script with
  "billed": {"vCPUHour": .., "memoryGBHour": .., "storageGBHour": ..} makes GetJobRun answer those figures once
  the run reaches a final state (AWS reports them for a finished run).
No file: moto's own behaviour (SUCCESS at once).
"""
import gzip
import json
import os
import re
import sys
import time

from moto.emrserverless import models
from moto.s3.models import s3_backends

models.APPLICATION_STATUS = "CREATED"
NEW_LABEL = re.compile(r"^emr-spark-[0-9]+\.[0-9]+\.[0-9]+$")
Backend = models.EMRServerlessBackend

_create = Backend.create_application


def create_application(self, name, release_label, *args, **kwargs):
    if NEW_LABEL.match(release_label):
        app = _create(self, name, "emr-7.0.0", *args, **kwargs)
        app.release_label = release_label
    else:
        app = _create(self, name, release_label, *args, **kwargs)
    app.created_at = app.updated_at = time.time()
    return app


_start = Backend.start_job_run


def _script():
    path = os.environ.get("MOTO_SLS_SCRIPT")
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def start_job_run(self, application_id, *args, **kwargs):
    run = _start(self, application_id, *args, **kwargs)
    run.created_at = run.updated_at = time.time()
    self.applications[application_id].state = "STARTED"  # autoStart
    script = _script()
    if script:
        run._states = list(script.get("states") or ["SUCCESS"])
        run._script = script
        run.state = "SUBMITTED"
    return run


_get = Backend.get_job_run


def get_job_run(self, application_id, job_run_id):
    run = _get(self, application_id, job_run_id)
    states = getattr(run, "_states", None)
    if states and run.state not in ("CANCELLED", "CANCELLING"):
        run.state = states.pop(0) if len(states) > 1 else states[0]
        if run.state in ("SUCCESS", "FAILED") and run._script.get("billed"):
            run.billed_resource_utilization = {k: float(v) for k, v in run._script["billed"].items()}
        if run.state == "FAILED" and not getattr(run, "_logged", False):
            run._logged = True
            run.state_details = run._script.get("stateDetails")
            log_uri = (((run.configuration_overrides or {}).get("monitoringConfiguration") or {}).get("s3MonitoringConfiguration") or {}).get("logUri")
            if log_uri and run._script.get("driverStderr") is not None:
                bucket, _, prefix = log_uri[len("s3://"):].partition("/")
                prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
                key = f"{prefix}applications/{application_id}/jobs/{job_run_id}/SPARK_DRIVER/stderr.gz"
                s3_backends[self.account_id]["aws"].put_object(bucket, key, gzip.compress(run._script["driverStderr"].encode()))
    return run


Backend.create_application = create_application
Backend.start_job_run = start_job_run
Backend.get_job_run = get_job_run

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
