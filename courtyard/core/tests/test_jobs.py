import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from courtyard.accounts.models import Department
from courtyard.core.choices import JobStatus
from courtyard.core.excel import RowError
from courtyard.core.jobs import JobFailed, job_handler, progress, save_output, start_job
from courtyard.core.models import Job
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@job_handler("test.count")
def count_to(job):
    total = job.params["to"]
    for done in range(1, total + 1):
        progress(job, done, total)
    save_output(job, "count.txt", b"1 2 3")
    return {"counted": total, "language": translation.get_language()}


@job_handler("test.reject")
def reject(job):
    raise JobFailed("2 rows have errors", [RowError(3, "name", "Required"), "plain error"])


@job_handler("test.crash")
def crash(job):
    raise RuntimeError("disk on fire")


@job_handler("test.write")
def write(job):
    Department.objects.create(name=job.params["name"])


@job_handler("test.import_departments")
def import_departments(job):
    Department.objects.create(name=job.params["name"])


def run(capture, user, kind, **params):
    with capture(execute=True):
        job = start_job(user, kind, params)
    job.refresh_from_db()
    return job


def test_job_runs_in_the_worker_after_commit(django_capture_on_commit_callbacks):
    user = make_user("clerk")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = start_job(user, "test.count", {"to": 3})
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED and len(callbacks) == 1
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.finished_at is not None
    assert job.result["counted"] == 3 and (job.done, job.total, job.percent) == (3, 3, 100)
    assert job.output_name == "count.txt" and job.output_file.read() == b"1 2 3"


def test_job_answers_in_the_starters_language(django_capture_on_commit_callbacks):
    with translation.override("zh-hans"):
        job = run(django_capture_on_commit_callbacks, make_user("clerk"), "test.count", to=1)
    assert job.result["language"] == "zh-hans"


def test_job_failed_records_its_message_and_row_errors(django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, make_user("clerk"), "test.reject")
    assert job.status == JobStatus.FAILED and job.is_finished
    assert job.result == {"message": "2 rows have errors"}
    assert job.errors == [{"row": 3, "column": "name", "message": "Required"}, "plain error"]


def test_a_crash_marks_the_job_failed(django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, make_user("clerk"), "test.crash")
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert job.result["message"] == "disk on fire"


def test_a_job_runs_once(django_capture_on_commit_callbacks):
    from courtyard.core.jobs import run_job

    job = run(django_capture_on_commit_callbacks, make_user("clerk"), "test.write", name="A")
    run_job(job.pk)
    assert Department.objects.filter(name="A").count() == 1


@pytest.mark.parametrize(
    "kind,source", [("test.write", "task"), ("test.import_departments", "import")]
)
def test_changes_of_a_job_are_audited_as_its_starter(
    django_capture_on_commit_callbacks, kind, source
):
    user = make_user("clerk")
    run(django_capture_on_commit_callbacks, user, kind, name="工程部")
    entry = LogEntry.objects.get_for_model(Department).get()
    assert entry.actor == user and entry.additional_data["source"] == source


def test_job_page_is_visible_to_its_owner_and_superusers_only(client):
    owner = make_user("owner")
    job = Job.objects.create(kind="test.count", user=owner, total=4, done=1)
    url = reverse("core:job_detail", args=[job.pk])
    client.force_login(make_user("other"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("core:job_download", args=[job.pk])).status_code == 404
    client.force_login(owner)
    assert client.get(url).status_code == 200
    client.force_login(make_user("root", superuser=True))
    assert client.get(url).status_code == 200


def test_failed_job_page_shows_the_failure(client, django_capture_on_commit_callbacks):
    owner = make_user("owner")
    job = run(django_capture_on_commit_callbacks, owner, "test.reject")
    client.force_login(owner)
    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert "2 rows have errors" in page and "Required" in page
    assert gettext("Failed") in page
