"""Jobs: the state of a long task the caller started, and its file when done."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from marshmallow import fields

from httpkit.tokens import current_principal
from records_svc.api.common import API, login_required, services
from records_svc.api.documents import attachment
from records_svc.api.lists import no_query
from records_svc.api.schemas import ComputedNested, Instant, ShownSchema
from records_svc.domain import tracked_jobs
from records_svc.domain.errors import NotFoundError
from records_svc.domain.models import Job

blp = Blueprint("jobs", __name__, url_prefix=API, description="Jobs")


class JobLinksSchema(ShownSchema):
    self = fields.String()
    download = fields.String(allow_none=True)


def job_path(job_id: str) -> str:
    return f"{API}/jobs/{job_id}"


def job_links(job: Job) -> dict[str, str | None]:
    path = job_path(job.id)
    download = f"{path}/download" if job.state == tracked_jobs.DONE and job.file_path else None
    return {"self": path, "download": download}


class JobSchema(ShownSchema):
    """A job as the API shows it, dumped from the model object."""

    id = fields.String()
    kind = fields.String()
    state = fields.String()
    error = fields.String(allow_none=True)
    result = fields.Dict(allow_none=True)
    created_at = Instant()
    updated_at = Instant()
    links = ComputedNested(JobLinksSchema, of=job_links)


@blp.route("/jobs/<string:job_id>", methods=["GET"])
@login_required()
@blp.response(200, JobSchema)
def get_job(job_id: str) -> Job:
    no_query()
    with services().db.read() as session:
        return tracked_jobs.get_job(session, job_id, user_id=current_principal().user_id)


@blp.route("/jobs/<string:job_id>/download", methods=["GET"])
@login_required()
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
def download_job_file(job_id: str) -> Response:
    """The file a done job produced (an edition), as an attachment."""
    no_query()
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
