"""The doors of background jobs: the status page ``/jobs/<id>/`` (it refreshes itself while
the job runs), the result's download ``/jobs/<id>/download/``, and ``GET /api/jobs/<id>/``.
A job is shown to the user who started it and to superusers; to anyone else it does not exist
(404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import jobs
from .middleware import job_json
from .models import Job

#: Seconds between two refreshes of a running job's page.
REFRESH_SECONDS = 2


def visible_job(request, pk: int) -> Job:
    job = get_object_or_404(Job, pk=pk)
    if not job.visible_to(request.user):
        raise Http404("No such job.")
    return job


@login_required
def job_page(request, pk: int):
    job = visible_job(request, pk)
    percent = None
    if job.total:
        percent = min(100, int(job.progress * 100 / job.total))
    return render(request, "jobs/job.html", {
        "job": job, "percent": percent, "refresh": None if job.is_finished else REFRESH_SECONDS,
        "download_url": f"/jobs/{job.pk}/download/" if job.status == Job.Status.DONE and job.result_path else None,
    })


def result_response(request, pk: int):
    job = visible_job(request, pk)
    path = jobs.result_file(job) if job.status == Job.Status.DONE else None
    if path is None or not path.exists():
        raise Http404("This job has no file (yet).")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=job.result_name or path.name,
                        content_type=job.result_type or "application/octet-stream")


@login_required
def job_download(request, pk: int):
    return result_response(request, pk)


class JobView(APIView):
    """``GET /api/jobs/<id>/``: a job's state; ``result_url`` downloads its file once done."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A background job: its status, progress and, once done, its file's URL.",
        responses={200: inline_serializer("Job", {
            "id": serializers.IntegerField(), "kind": serializers.CharField(),
            "status": serializers.ChoiceField(choices=Job.Status.choices),
            "progress": serializers.IntegerField(), "total": serializers.IntegerField(allow_null=True),
            "error": serializers.CharField(allow_null=True), "url": serializers.CharField(),
            "page_url": serializers.CharField(), "result_url": serializers.CharField(allow_null=True),
            "created": serializers.DateTimeField(), "finished": serializers.DateTimeField(allow_null=True),
        })},
    )
    def get(self, request, pk: int):
        return Response(job_json(visible_job(request, pk)))


class JobResultView(APIView):
    """``GET /api/jobs/<id>/result``: the file a finished job wrote (404 before)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The file a finished job wrote (an export's CSV).",
                   responses={(200, "text/csv"): bytes})
    def get(self, request, pk: int):
        return result_response(request, pk)
