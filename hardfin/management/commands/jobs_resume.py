"""``manage.py jobs_resume``: send again the jobs a dead worker left queued or running."""

from django.core.management.base import BaseCommand

from hardfin import jobs


class Command(BaseCommand):
    help = ("Requeue background jobs left queued or running (by a worker that died). Each starts over; "
            "a job's work commits together with its 'done', so nothing is recorded twice.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=0, metavar="SECONDS",
                            help="only jobs created at least this long ago (default: all)")

    def handle(self, *args, older_than=0, **options):
        resumed = jobs.resume(older_than_seconds=older_than)
        for job in resumed:
            self.stdout.write(f"requeued job {job.pk} ({job.kind}, {job.task})")
        self.stdout.write(f"{len(resumed)} job(s) requeued.")
