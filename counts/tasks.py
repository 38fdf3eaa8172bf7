"""Background jobs of counts: posting a count too large for a web request."""

from django.contrib.auth import get_user_model
from django.db import transaction

from hardfin import jobs

from . import services
from .models import Count


@jobs.job_task("counts.post_count")
def post_count(job) -> None:
    """Post the job's count: the service's one transaction, with the job's ``done`` in it. A
    kill before the commit posts nothing; the rerun posts it once."""
    user = get_user_model().objects.get(pk=job.created_by_id)
    with transaction.atomic():
        count = services.count_post(count=Count.objects.get(pk=job.params["count"]), user=user,
                                    uncounted=job.params.get("uncounted"))
        corrections = count.lines.filter(adjustment__isnull=False).count()
        lines = count.lines.count()
        jobs.finish(job, summary=f"Posted count {count.pk}: {corrections} correction"
                                 f"{'s' if corrections != 1 else ''} recorded.", done=lines)
