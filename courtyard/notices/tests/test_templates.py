"""Notice templates: variables checked on saving, and starting a notice from one."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from courtyard.core import message_templates
from courtyard.notices import services
from courtyard.notices.models import NoticeTemplate
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TEMPLATE_PERMS = (
    "notices.view_noticetemplate",
    "notices.add_noticetemplate",
    "notices.change_noticetemplate",
    "notices.delete_noticetemplate",
)


@pytest.fixture
def editor(db):
    return make_user("editor", *TEMPLATE_PERMS)


def outage(editor, **changes):
    data = {
        "name": "停水通知",
        "category": "outage",
        "title": "{estate_name}停水通知",
        "content": "<p>{owner_name}您好：{start_date}至{end_date}停水。</p>",
    }
    data.update(changes)
    return services.create_template(editor, **data)


def test_a_template_with_known_variables_is_saved_sanitised(editor):
    template = outage(editor, content="<p>{room_no}</p><script>x</script>")
    assert template.content == "<p>{room_no}</p>"
    assert template.created_by == editor


@pytest.mark.parametrize(
    "field, text, code",
    [
        ("title", "{amount}通知", "unknown_variable"),
        ("content", "<p>{owner_name.__class__}</p>", "bad_variable"),
        ("content", "<p>{owner_name</p>", "bad_template"),
    ],
)
def test_unknown_variables_and_bad_braces_are_refused(editor, field, text, code):
    with pytest.raises(ValidationError) as error:
        outage(editor, **{field: text})
    assert error.value.error_dict[field][0].code == code
    assert not NoticeTemplate.objects.exists()


def test_the_model_refuses_unknown_variables_on_save():
    with pytest.raises(ValidationError):
        NoticeTemplate(name="x", title="{x}", content="<p></p>").save()


def test_update_and_delete(editor):
    template = outage(editor)
    services.update_template(editor, template, title="{estate_name}停电通知")
    assert NoticeTemplate.objects.get().title == "{estate_name}停电通知"
    with pytest.raises(ValidationError):
        services.update_template(editor, template, content="{fee}")
    services.delete_template(editor, template)
    assert not NoticeTemplate.objects.exists()


def test_template_names_are_unique(editor):
    outage(editor)
    with pytest.raises(ValidationError) as error:
        outage(editor)
    assert "name" in error.value.error_dict


def test_templates_need_their_permissions(db, editor):
    nobody = make_user("nobody", "notices.view_noticetemplate")
    with pytest.raises(PermissionDenied):
        outage(nobody)
    template = outage(editor)
    for call in (
        lambda: services.update_template(nobody, template, name="x"),
        lambda: services.delete_template(nobody, template),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_starting_a_notice_fills_estate_and_dates_and_keeps_the_readers_variables(editor, estate):
    template = outage(editor)
    start = timezone.make_aware(datetime.datetime(2026, 12, 1, 8, 0))
    end = timezone.make_aware(datetime.datetime(2026, 12, 2, 18, 0))
    title, content = services.fill_template(
        template, estates=[estate], effective_from=start, effective_to=end
    )
    assert title == "翠湖花园停水通知"
    assert content == "<p>{owner_name}您好：2026-12-01至2026-12-02停水。</p>"


def test_the_notice_published_text_is_registered():
    definition = message_templates.definition("notices.published")
    assert set(definition.variables) == {"estate_name", "owner_name", "room_no", "title", "date"}
