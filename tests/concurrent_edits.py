"""Two people editing the same record (DESIGN §3, "Concurrent edits"), as each module's tests
check it: both read a form (or the API detail), the first saves, the second's save from the
stale copy is refused and keeps what was typed (a form) or answers 412 (an If-Match)."""

from django.test import Client

STALE_MESSAGE = "Someone else changed this record meanwhile"


def form_values(client, url):
    """What an edit page's form would post back unchanged, its hidden version included."""
    form = client.get(url).context["form"]
    values = {name: form[name].value() for name in form.fields}
    return {name: value for name, value in values.items() if value is not None}


def two_readers(user, url):
    """Two signed-in browsers of ``user`` that have both opened ``url``."""
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    return (first, form_values(first, url)), (second, form_values(second, url))


def save_twice(user, url, mine, theirs):
    """The first reader saves ``mine``, then the second saves ``theirs`` from the page read
    before: the second page's answer (which must refuse it)."""
    (first, first_values), (second, second_values) = two_readers(user, url)
    assert "version" in first_values, "the form does not carry the version"
    saved = first.post(url, {**first_values, **mine})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    return second.post(url, {**second_values, **theirs})


def assert_refused_keeping_typed(response, *typed):
    assert response.status_code == 400
    page = response.content.decode()
    assert STALE_MESSAGE in page
    for text in typed:
        assert text in page, f"{text!r} typed but not kept"


def if_match_round(client, headers, url, body, stale_body, method="patch"):
    """Read the ETag, change with it (200 and the next ETag), change again with the same,
    now stale, ETag (412 precondition_failed)."""
    read = client.get(url, headers=headers)
    assert read.status_code == 200
    tag = read["ETag"]

    def change(data):
        return getattr(client, method)(
            url, data, content_type="application/json", headers={**headers, "If-Match": tag}
        )

    saved = change(body)
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] != tag and saved["ETag"] == client.get(url, headers=headers)["ETag"]
    stale = change(stale_body)
    assert stale.status_code == 412, stale.content
    assert stale.json()["code"] == "precondition_failed"
