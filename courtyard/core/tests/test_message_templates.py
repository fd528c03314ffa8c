import pytest
from django.core.exceptions import ValidationError

from courtyard.core import message_templates
from courtyard.core.models import MessageTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_templates():
    message_templates.register(
        "test.notice",
        label="Notice",
        group="Test",
        variables={"name": "Name", "amount": "Amount"},
        default_subject="Dear {name}",
        default_body="{name}您好，应缴¥{amount}。",
    )
    yield
    message_templates._registry.pop("test.notice")


def test_default_text_renders_with_the_values():
    assert message_templates.render("test.notice", {"name": "张三", "amount": "12.50"}) == (
        "Dear 张三",
        "张三您好，应缴¥12.50。",
    )


def test_missing_values_render_empty():
    assert message_templates.render("test.notice", {"name": "张三"})[1] == "张三您好，应缴¥。"


def test_registry_lists_and_describes_templates():
    template = message_templates.definition("test.notice")
    assert template in message_templates.registered()
    assert template.variables == {"name": "Name", "amount": "Amount"}
    assert template.sample_context() == {"name": "[Name]", "amount": "[Amount]"}


def test_registering_a_default_with_an_unknown_variable_fails():
    with pytest.raises(ValidationError):
        message_templates.register(
            "test.bad", label="Bad", variables={"a": "A"}, default_body="{a} {b}"
        )
    assert "test.bad" not in {t.key for t in message_templates.registered()}


def test_stored_text_replaces_the_default(admin_user):
    message_templates.save("test.notice", subject="", body="请缴{amount}元", user=admin_user)
    assert message_templates.render("test.notice", {"amount": "3.00"}) == ("", "请缴3.00元")
    stored = MessageTemplate.objects.get(key="test.notice")
    assert stored.updated_by == admin_user
    assert message_templates.current("test.notice") == ("", "请缴{amount}元", True)


def test_saving_reports_whether_anything_changed(admin_user):
    assert message_templates.save("test.notice", subject="", body="B", user=admin_user) is True
    assert message_templates.save("test.notice", subject="", body="B", user=admin_user) is False
    assert MessageTemplate.objects.count() == 1


def test_saving_the_default_keeps_no_stored_copy(admin_user):
    template = message_templates.definition("test.notice")
    message_templates.save("test.notice", subject="S", body="B", user=admin_user)
    changed = message_templates.save(
        "test.notice", subject=template.default_subject, body=template.default_body
    )
    assert changed is True
    assert not MessageTemplate.objects.exists()
    assert message_templates.current("test.notice")[2] is False


def test_restore_default_removes_the_stored_text(admin_user):
    message_templates.save("test.notice", subject="S", body="B", user=admin_user)
    assert message_templates.restore_default("test.notice", user=admin_user) is True
    assert message_templates.restore_default("test.notice", user=admin_user) is False
    assert not MessageTemplate.objects.exists()
    assert message_templates.render("test.notice", {"name": "李四"})[0] == "Dear 李四"


@pytest.mark.parametrize(
    "subject,body,field,code",
    [
        ("", "{owner}", "body", "unknown_variable"),
        ("{nope}", "{name}", "subject", "unknown_variable"),
        ("", "{name", "body", "bad_template"),
        ("", "name}", "body", "bad_template"),
        ("", "{name.upper}", "body", "bad_variable"),
        ("", "{amount:>10}", "body", "bad_variable"),
        ("", "{name!r}", "body", "bad_variable"),
        ("", "{0}", "body", "bad_variable"),
        ("", "{}", "body", "bad_variable"),
        ("", "  ", "body", "required"),
        ("x" * 201, "{name}", "subject", "max_length"),
    ],
)
def test_saving_rejects_bad_texts(subject, body, field, code):
    with pytest.raises(ValidationError) as caught:
        message_templates.save("test.notice", subject=subject, body=body)
    assert [e.code for e in caught.value.error_dict[field]] == [code]
    assert not MessageTemplate.objects.exists()


def test_unknown_variables_are_named_in_the_error():
    with pytest.raises(ValidationError) as caught:
        message_templates.save("test.notice", subject="", body="{b} {name} {a}")
    assert caught.value.message_dict == {"body": ["Unknown variables: {a}, {b}"]}


def test_preview_uses_the_samples_or_the_labels():
    message_templates.register(
        "test.sampled",
        label="Sampled",
        variables={"name": "Name", "amount": "Amount"},
        default_body="{name}: {amount}",
        samples={"name": "张伟"},
    )
    try:
        template = message_templates.definition("test.sampled")
        assert template.preview("Hi {name}", template.default_body) == ("Hi 张伟", "张伟: [Amount]")
    finally:
        message_templates._registry.pop("test.sampled")


def test_escaped_braces_are_literal(admin_user):
    message_templates.save("test.notice", subject="", body="{{note}} {name}", user=admin_user)
    assert message_templates.render("test.notice", {"name": "王五"})[1] == "{note} 王五"


def test_rendering_many_messages_reads_the_table_once(django_assert_num_queries, admin_user):
    message_templates.save("test.notice", subject="", body="{name}", user=admin_user)
    with django_assert_num_queries(1):
        bodies = [message_templates.render("test.notice", {"name": n})[1] for n in range(500)]
    assert bodies[-1] == "499"


def test_saving_forgets_the_cached_texts(admin_user):
    assert message_templates.render("test.notice", {"name": "A"})[1] == "A您好，应缴¥。"
    message_templates.save("test.notice", subject="", body="new {name}", user=admin_user)
    assert message_templates.render("test.notice", {"name": "A"})[1] == "new A"


def test_changes_are_audited(admin_user):
    from auditlog.models import LogEntry

    message_templates.save("test.notice", subject="", body="v1 {name}", user=admin_user)
    message_templates.save("test.notice", subject="", body="v2 {name}", user=admin_user)
    stored = MessageTemplate.objects.get(key="test.notice")
    entries = LogEntry.objects.get_for_object(stored)
    assert [e.action for e in entries.order_by("pk")] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
    ]
    assert entries.order_by("pk").last().changes["body"] == ["v1 {name}", "v2 {name}"]


def test_line_breaks_and_surrounding_blanks_are_normalised(admin_user):
    message_templates.save("test.notice", subject=" S ", body="a\r\nb {name}\r\n", user=admin_user)
    assert MessageTemplate.objects.values_list("subject", "body").get() == ("S", "a\nb {name}")
