"""Celery task of background jobs: ids in, the work in jobs.services and the kind's runner."""

from toolkit.celery import app

from . import services


@app.task(ignore_result=True)
def job_run_task(job_id: int) -> None:
    """Run one job. Delivered twice (acks late after a worker died, or the periodic re-queue), the second
    run finds the job finished and does nothing; see jobs.services."""
    services.job_run(job_id=job_id)
