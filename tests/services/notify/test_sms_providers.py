"""The Alibaba Cloud and Tencent Cloud adapters, through the outbox's delivery job, against a fake provider API on
127.0.0.1 (tests/services/notify/fake_sms.py): what they send, the id kept, which refusals are retried or given up,
and what a worker killed mid-batch sends again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy import Engine

from core.crypto import get_cipher
from models.enums import NotificationChannel, NotificationStatus
from services.notify.outbox import LEASE, deliver_due
from services.notify.sms import Sms
from services.notify.sms_aliyun import AliyunGateway
from services.notify.sms_tencent import TencentGateway
from tests.services.notify.fake_sms import (
    FakeProvider,
    Reply,
    aliyun_reply,
    closed_port_url,
    fake_provider,
    tencent_error,
    tencent_status,
)
from tests.services.notify.test_outbox import NOW, People, committed_people, enqueue, rows, settings_env
from tests.services.notify.test_sms import template_codes

ALIYUN_KEY_ID, ALIYUN_SECRET, TENCENT_SECRET = "LTAI5tTestKeyId", "aliyun-test-secret", "tencent-test-secret"
CREDENTIALS = {
    "aliyun": {"sms_aliyun_access_key_id": ALIYUN_KEY_ID, "sms_aliyun_access_key_secret": ALIYUN_SECRET},
    "tencent": {
        "sms_tencent_secret_id": "AKIDTestSecretId",
        "sms_tencent_secret_key": TENCENT_SECRET,
        "sms_tencent_sdk_app_id": "1400000001",
        "sms_tencent_region": "ap-beijing",
    },
}


@contextmanager
def provider(name: str, url: str, backend: str | None = None) -> Iterator[None]:
    with settings_env(
        sms_backend=backend or name,
        sms_endpoint=url,
        sms_sign_name="板凳测试",
        **template_codes("SMS_46500000" if name == "aliyun" else "200000"),
        **CREDENTIALS[name],
    ):
        yield


@pytest.fixture
def people(engine: Engine) -> Iterator[People]:
    with committed_people(engine, "990321") as committed:
        yield committed


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with fake_provider() as running:
        yield running


def test_aliyun_sends_the_staff_template_and_the_row_keeps_the_biz_id(
    engine: Engine, people: People, fake: FakeProvider
) -> None:
    with provider("aliyun", fake.url):
        enqueue(engine, people.member, NotificationChannel.sms, "t:ali")
        assert deliver_due(NOW, engine=engine).sent == 1
    [row] = rows(engine, people.member)
    [got] = fake.received
    assert (row.status, row.provider_message_id) == ("sent", "900619746936490001^0")
    assert got.headers["x-acs-action"] == "SendSms"
    assert got.params == {
        "PhoneNumbers": get_cipher().decrypt(people.member.mobile_ciphertext),
        "SignName": "板凳测试",
        "TemplateCode": "SMS_465000001",
        "TemplateParam": json.dumps({"title": "红牌超期：诉求 t:ali"}, ensure_ascii=False),
        "OutId": row.dedupe_key,
    }
    assert ALIYUN_SECRET.encode() not in got.raw  # signed with, never sent


def test_tencent_sends_the_staff_template_and_the_row_keeps_the_serial_no(
    engine: Engine, people: People, fake: FakeProvider
) -> None:
    with provider("tencent", fake.url):
        enqueue(engine, people.member, NotificationChannel.sms, "t:tc")
        assert deliver_due(NOW, engine=engine).sent == 1
    [row] = rows(engine, people.member)
    [got] = fake.received
    assert (row.status, row.provider_message_id) == ("sent", "2433:0001")
    assert (got.headers["X-TC-Action"], got.headers["X-TC-Region"]) == ("SendSms", "ap-beijing")
    assert got.params == {
        "PhoneNumberSet": [f"+86{get_cipher().decrypt(people.member.mobile_ciphertext)}"],
        "SmsSdkAppId": "1400000001",
        "SignName": "板凳测试",
        "TemplateId": "2000001",
        "TemplateParamSet": ["红牌超期：诉求 t:tc"],
        "SessionContext": row.dedupe_key,
    }
    assert TENCENT_SECRET.encode() not in got.raw


def test_the_log_gateway_records_a_made_up_id(engine: Engine, people: People) -> None:
    enqueue(engine, people.member, NotificationChannel.sms, "t:log")
    assert deliver_due(NOW, engine=engine).sent == 1
    [row] = rows(engine, people.member)
    assert row.status == "sent" and row.provider_message_id and row.provider_message_id.startswith("log-")


REFUSALS = [
    ("aliyun", aliyun_reply(503, {"Code": "ServiceUnavailable", "Message": "temporary failure"}), "retry"),
    ("aliyun", Reply(502, b"<html>502 Bad Gateway</html>", "text/html"), "retry"),  # a proxy's, with no code
    ("aliyun", aliyun_reply(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"}), "retry"),
    ("aliyun", aliyun_reply(400, {"Code": "Throttling.User", "Message": "denied due to flow control"}), "retry"),
    ("aliyun", aliyun_reply(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}), "give_up"),
    ("aliyun", aliyun_reply(200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"}), "give_up"),
    ("aliyun", aliyun_reply(200, {"Code": "isv.AMOUNT_NOT_ENOUGH", "Message": "账户余额不足"}), "give_up"),
    ("tencent", Reply(502, b"<html>502 Bad Gateway</html>", "text/html"), "retry"),
    ("tencent", tencent_error("InternalError.Timeout", "请求下发短信超时"), "retry"),
    ("tencent", tencent_status("", "LimitExceeded.PhoneNumberThirtySecondLimit", "30秒内限发1条"), "retry"),
    ("tencent", tencent_error("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批"), "give_up"),
    ("tencent", tencent_status("", "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"), "give_up"),
    ("tencent", tencent_error("UnauthorizedOperation.ServiceSuspendDueToArrears", "欠费停服"), "give_up"),
]


@pytest.mark.parametrize(("name", "reply", "expected"), REFUSALS)
def test_a_refusal_is_retried_with_backoff_or_given_up_at_once(
    engine: Engine, people: People, fake: FakeProvider, name: str, reply: Reply, expected: str
) -> None:
    fake.script.append(reply)
    with provider(name, fake.url):
        enqueue(engine, people.member, NotificationChannel.sms, "t:refused")
        report = deliver_due(NOW, engine=engine)
        [row] = rows(engine, people.member)
        assert row.attempts == 1 and row.last_error and row.last_error.startswith("sms failed:")
        code = reply_code(reply)
        assert code is None or f"{name} {code}:" in row.last_error
        if expected == "retry":
            assert (report.retried, row.status, row.next_attempt_at) == (1, "pending", NOW + timedelta(seconds=30))
            assert deliver_due(row.next_attempt_at, engine=engine).sent == 1
            [row] = rows(engine, people.member)
            assert row.status == "sent" and row.provider_message_id and len(fake.received) == 2
        else:
            assert (report.failed, report.retried, row.status) == (1, 0, NotificationStatus.failed)
            assert deliver_due(NOW + timedelta(days=1), engine=engine).failed == 0
            assert len(fake.received) == 1  # given up: never asked again


def reply_code(reply: Reply) -> str | None:
    """The provider's error code in a scripted reply, if it has one."""
    if reply.content_type != "application/json":
        return None
    body = json.loads(reply.body)
    if "Response" not in body:
        return str(body["Code"])
    response = body["Response"]
    return str(response["Error"]["Code"] if "Error" in response else response["SendStatusSet"][0]["Code"])


@pytest.mark.parametrize("name", ["aliyun", "tencent"])
def test_no_answer_is_retried(engine: Engine, people: People, name: str) -> None:
    with provider(name, closed_port_url()):
        enqueue(engine, people.member, NotificationChannel.sms, "t:down")
        assert deliver_due(NOW, engine=engine).retried == 1
    [row] = rows(engine, people.member)
    assert row.status == "pending" and row.last_error and "Connection refused" in row.last_error
    mobile = get_cipher().decrypt(people.member.mobile_ciphertext)
    assert mobile not in row.last_error  # the number the SDK quotes in the failed URL is masked


def test_a_refused_signature_keeps_the_access_key_out_of_the_row_and_the_log(
    engine: Engine, people: People, fake: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    signed = f"POST&%2F&AccessKeyId%3D{ALIYUN_KEY_ID}%26Action%3DSendSms"
    fake.script.append(aliyun_reply(400, {"Code": "SignatureDoesNotMatch", "Message": f"string to sign: {signed}"}))
    with provider("aliyun", fake.url):
        enqueue(engine, people.member, NotificationChannel.sms, "t:badkey")
        assert deliver_due(NOW, engine=engine).failed == 1
    [row] = rows(engine, people.member)
    assert row.last_error and "aliyun SignatureDoesNotMatch" in row.last_error
    for secret in (ALIYUN_KEY_ID, ALIYUN_SECRET):
        assert secret not in row.last_error and secret not in caplog.text


class Killed(BaseException):
    """The worker being killed: nothing after it runs, not even an `except Exception`."""


class DyingWorker:
    """A provider's gateway in a worker killed at its third message: before sending it, or once the provider
    has taken it but before the outbox could record it."""

    provider: ClassVar[str] = "aliyun"
    in_flight: ClassVar[bool] = False
    calls: ClassVar[int] = 0

    def __init__(self) -> None:
        self._gateway = AliyunGateway() if DyingWorker.provider == "aliyun" else TencentGateway()

    def send(self, sms: Sms) -> str:
        DyingWorker.calls += 1
        if DyingWorker.calls == 3:
            if DyingWorker.in_flight:
                self._gateway.send(sms)
            raise Killed
        return self._gateway.send(sms)


@pytest.mark.parametrize("name", ["aliyun", "tencent"])
@pytest.mark.parametrize("in_flight", [False, True])
def test_a_worker_killed_mid_batch_sends_nothing_twice_but_the_message_in_flight(
    engine: Engine, people: People, fake: FakeProvider, name: str, in_flight: bool
) -> None:
    DyingWorker.provider, DyingWorker.in_flight, DyingWorker.calls = name, in_flight, 0
    keys = [f"t:batch:{i}" for i in range(5)]
    with provider(name, fake.url, backend="tests.services.notify.test_sms_providers:DyingWorker"):
        for key in keys:
            enqueue(engine, people.member, NotificationChannel.sms, key)
        with pytest.raises(Killed):
            deliver_due(NOW, engine=engine)
    recorded = [row.status for row in rows(engine, people.member)]
    assert recorded == ["sent", "sent", "pending", "pending", "pending"]  # each recorded as soon as it went

    with provider(name, fake.url):  # the next run, once the lease is over
        assert deliver_due(NOW + LEASE - timedelta(seconds=1), engine=engine).sent == 0
        assert deliver_due(NOW + LEASE, engine=engine).sent == 3
    sent = rows(engine, people.member)
    assert all(row.status == "sent" and row.provider_message_id for row in sent)
    dedupe_keys = [row.dedupe_key for row in sent]
    # At least once, and at most one repeat per crash: only the message the provider took as the worker died
    # goes again, with the same dedupe key (OutId / SessionContext) for the receipts to show it.
    repeated = [dedupe_keys[2]] if in_flight else []
    assert fake.keys() == dedupe_keys[:3] + repeated + dedupe_keys[3:]
