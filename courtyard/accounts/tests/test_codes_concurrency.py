"""Two requests for a one-time code at the same moment, in real threads with their own
connections (PostgreSQL: real row locks). Both used to see no recent code and both sent one;
the account's row lock makes the second find the first's code."""

import contextlib
import threading

import pytest
from django.db import connection, connections

from courtyard.accounts import services
from courtyard.accounts.choices import CodePurpose
from courtyard.accounts.models import OneTimeCode
from courtyard.core.models import Message
from tests.factories import make_user

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_two_reset_requests_at_once_send_one_code(monkeypatch):
    make_user("clerk", phone="13812345678")
    # Each request waits here, after its resend check, for the other to arrive: without the
    # lock both pass the check; with it the second waits for the lock and the wait times out.
    arrived = threading.Barrier(2, timeout=2)
    code_hash = services._code_hash

    def meet_then_hash(user, code):
        with contextlib.suppress(threading.BrokenBarrierError):
            arrived.wait()
        return code_hash(user, code)

    monkeypatch.setattr(services, "_code_hash", meet_then_hash)

    def request():
        try:
            services.request_password_reset(None, "clerk")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert OneTimeCode.objects.filter(purpose=CodePurpose.PASSWORD_RESET).count() == 1
    assert Message.objects.filter(purpose="password_reset").count() == 1
