"""What every job resource (generation, capture, render) answers the same way: the 202 that
accepts a job with its links, and the status and cancel routes."""

from fastapi import Query
from fastapi.responses import JSONResponse

MAX_WAIT = 10.0  # seconds a status request may be held open for the job's end


def accepted(job, url):
    """202 for a queued ``job`` (the runner's status dict) whose status lives at ``url``."""
    return JSONResponse(status_code=202, headers={"Location": url}, content={
        "id": job["id"], "state": job["state"], "status_url": url, "result_url": url + "/result"})


def add_status_routes(router, runner, path, noun, **documented):
    """GET ``path/{job_id}`` (state) and DELETE it (cancel) for jobs of ``runner``.

    documented : what else both routes declare (response_model, responses, ...).
    """

    def status(job_id: str, wait: float = Query(
            0.0, ge=0.0, le=MAX_WAIT,
            description=f"seconds (at most {MAX_WAIT:g}) to hold the answer until the job ends: "
                        "asked again at once, a client learns of the end as it happens")):
        """State (queued, running, done, failed, cancelled), stage, progress 0..1, error."""
        return runner.status(job_id, wait)

    def cancel(job_id: str):
        return runner.cancel(job_id)

    cancel.__doc__ = (f"Cancel a {noun} (idempotent): a queued one ends at once, a running one "
                      "at its next boundary (its state stays \"running\", with cancel_requested, "
                      "until then).")
    router.add_api_route(f"{path}/{{job_id}}", status, methods=["GET"], name=f"{noun}_status",
                         **documented)
    router.add_api_route(f"{path}/{{job_id}}", cancel, methods=["DELETE"], name=f"{noun}_cancel",
                         **documented)
