"""Jobs: the state of a long task the caller started, and its file when done."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from httpkit.tokens import current_principal
from records_svc.api.common import API, iso, login_required, services
from records_svc.api.documents import attachment
from records_svc.domain import tracked_jobs
from records_svc.domain.errors import NotFoundError
from records_svc.domain.models import Job

blp = Blueprint("jobs", __name__, url_prefix=API, description="Jobs")


class JobLinksSchema(Schema):
    self = fields.String()
    download = fields.String(allow_none=True)


class JobSchema(Schema):
    id = fields.String()
    kind = fields.String()
    state = fields.String()
    error = fields.String(allow_none=True)
    result = fields.Dict(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    links = fields.Nested(JobLinksSchema)


def job_repr(job: Job) -> dict[str, Any]:
    path = f"{API}/jobs/{job.id}"
    download = f"{path}/download" if job.state == tracked_jobs.DONE and job.file_path else None
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "error": job.error,
        "result": job.result,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "links": {"self": path, "download": download},
    }


@blp.route("/jobs/<string:job_id>", methods=["GET"])
@login_required()
@blp.response(200, JobSchema)
def get_job(job_id: str) -> dict[str, Any]:
    with services().db.read() as session:
        return job_repr(tracked_jobs.get_job(session, job_id, user_id=current_principal().user_id))


@blp.route("/jobs/<string:job_id>/download", methods=["GET"])
@login_required()
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
def download_job_file(job_id: str) -> Response:
    """The file a done job produced (an edition), as an attachment."""
    svc = services()
    with svc.db.read() as session:
        job = tracked_jobs.get_job(session, job_id, user_id=current_principal().user_id)
        key, name, media_type = job.file_path, job.file_name, job.media_type
        done = job.state == tracked_jobs.DONE
    if not done or not key or svc.db.files is None or not svc.db.files.exists(key):
        raise NotFoundError(f"Job {job_id} has no file to download.")
    return attachment(
        svc.db.files.path(key), name or "edition", media_type or "application/octet-stream"
    )
