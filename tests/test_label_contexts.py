"""One English word, several meanings: each use carries its own translation context, so that
the Chinese reads right where it is shown (issue 19 point 5)."""

import pytest
from django.utils import translation

from courtyard.billing.items.tables import ChargeItemTable
from courtyard.core.approvals.forms import ApproveForm
from courtyard.portal.notices.forms import CommentForm
from courtyard.portal.repairs.forms import RateForm


@pytest.mark.parametrize(
    ("field", "chinese"),
    [
        (ApproveForm.base_fields["comment"], "审核意见"),
        (CommentForm.base_fields["body"], "评论"),
        (RateForm.base_fields["comment"], "评价说明"),
    ],
    ids=["approval", "notice comment", "repair rating"],
)
def test_each_comment_field_reads_as_what_it_is(field, chinese):
    with translation.override("zh-hans"):
        assert str(field.label) == chinese
    with translation.override("en"):
        assert str(field.label) == "Comment"


def test_a_charge_items_code_is_an_identifier_not_a_one_time_code():
    with translation.override("zh-hans"):
        assert str(ChargeItemTable.base_columns["code"].label) == "编码"
