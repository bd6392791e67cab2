"""The SMS rules that need no provider: the error tables, the templates' parameters, the settings a provider needs."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from core.settings import Settings
from services.notify import sms_aliyun, sms_tencent
from services.notify.sms import STAFF_NOTICE, TEMPLATES, Verdict, compose, endpoint, fit, verdict


def template_codes(prefix: str) -> dict[str, str]:
    """A code for every template a provider needs, in the table's order (the staff notice's ends in 1)."""
    return {template.setting: f"{prefix}{i}" for i, template in enumerate(TEMPLATES.values(), start=1)}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", "retry"),  # throttled
        ("isv.DAY_LIMIT_CONTROL", "retry"),
        ("Throttling.User", "retry"),
        ("Throttling.Api", "retry"),
        ("isp.SYSTEM_ERROR", "retry"),
        ("ServiceUnavailable", "retry"),
        ("InternalError", "retry"),
        ("isv.SOMETHING_NEW", "retry"),  # nobody listed it: tried again until the attempts run out
        ("isv.MOBILE_NUMBER_ILLEGAL", "give_up"),
        ("isv.SMS_TEMPLATE_ILLEGAL", "give_up"),
        ("isv.SMS_SIGNATURE_ILLEGAL", "give_up"),
        ("isv.AMOUNT_NOT_ENOUGH", "give_up"),
        ("isv.OUT_OF_SERVICE", "give_up"),
        ("isv.BLACK_KEY_CONTROL_LIMIT", "give_up"),
        ("isv.PARAM_LENGTH_LIMIT", "give_up"),
        ("isp.RAM_PERMISSION_DENY", "give_up"),
        ("InvalidAccessKeyId.NotFound", "give_up"),
        ("SignatureDoesNotMatch", "give_up"),
    ],
)
def test_aliyun_error_codes(code: str, expected: Verdict) -> None:
    assert verdict(sms_aliyun.ERRORS, code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("LimitExceeded.PhoneNumberThirtySecondLimit", "retry"),  # throttled
        ("LimitExceeded.PhoneNumberDailyLimit", "retry"),
        ("LimitExceeded.DeliveryFrequencyLimit", "retry"),
        ("RequestLimitExceeded", "retry"),
        ("InternalError.Timeout", "retry"),
        ("ServerNetworkError", "retry"),  # the SDK's name for a 5xx
        ("ClientNetworkError", "retry"),  # and for no answer
        ("AuthFailure.SignatureExpire", "retry"),
        ("SomethingNew.Entirely", "retry"),
        ("LimitExceeded.AppCountryOrRegionInBlacklist", "give_up"),
        ("FailedOperation.TemplateIncorrectOrUnapproved", "give_up"),
        ("FailedOperation.SignatureIncorrectOrUnapproved", "give_up"),
        ("FailedOperation.InsufficientBalanceInSmsPackage", "give_up"),
        ("FailedOperation.PhoneNumberInBlacklist", "give_up"),
        ("InvalidParameterValue.IncorrectPhoneNumber", "give_up"),
        ("InvalidParameterValue.TemplateParameterLengthLimit", "give_up"),
        ("UnauthorizedOperation.ServiceSuspendDueToArrears", "give_up"),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", "give_up"),
        ("AuthFailure.SecretIdNotFound", "give_up"),
        ("MissingParameter.EmptyPhoneNumberSet", "give_up"),
    ],
)
def test_tencent_error_codes(code: str, expected: Verdict) -> None:
    assert verdict(sms_tencent.ERRORS, code) == expected


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        ("【红牌超期】诉求 A0001", 35, "红牌超期：诉求 A0001"),  # 【】 would pass for a second sign
        ("【吹哨超时】", 35, "吹哨超时"),
        ("驻点工作周报（12月07日起）", 35, "驻点工作周报（12月07日起）"),
        ("住户信息冲突待核对：\n张  三", 35, "住户信息冲突待核对： 张 三"),  # one line
        ("一二三四五六七八", 6, "一二三四五…"),
    ],
)
def test_a_parameter_is_one_line_without_sign_brackets_and_at_most_the_limit(
    value: str, limit: int, expected: str
) -> None:
    assert fit(value, limit) == expected


def test_a_staff_notice_sends_the_staff_template_with_the_title() -> None:
    settings = Settings(sms_template_staff="SMS_465000001", sms_param_max_chars=14)  # fits exactly
    sms = compose("sla_red", "【红牌超期】诉求 A0001", "诉求已超期，请尽快办理。", "13900001111", "k:sms:1", settings)
    assert (sms.template_code, sms.params) == ("SMS_465000001", (("title", "红牌超期：诉求 A0001"),))
    assert (sms.mobile, sms.idempotency_key) == ("13900001111", "k:sms:1")
    assert sms.text == "【红牌超期】诉求 A0001：诉求已超期，请尽快办理。"  # the plain text, for the log gateway
    assert TEMPLATES.get("sla_red") is None and TEMPLATES[STAFF_NOTICE].setting == "sms_template_staff"


def test_every_template_names_a_template_setting() -> None:
    for template in TEMPLATES.values():
        assert template.setting.startswith("sms_template_") and template.setting in Settings.model_fields


def test_a_provider_needs_its_credentials_sign_and_templates_at_start_up() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(sms_backend="aliyun", sms_aliyun_access_key_id="LTAI5t-test")
    message = str(refused.value)
    for name in ("SMS_ALIYUN_ACCESS_KEY_SECRET", "SMS_SIGN_NAME", "SMS_TEMPLATE_STAFF"):
        assert f"BANDENG_{name}" in message
    assert "ALIYUN_ACCESS_KEY_ID" not in message
    with pytest.raises(ValidationError, match="BANDENG_SMS_TENCENT_SDK_APP_ID"):
        Settings(sms_backend="tencent", sms_sign_name="板凳", sms_template_staff="1", sms_tencent_secret_id="AKID")


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("", True),
        ("dysmsapi.aliyuncs.com", True),
        ("https://sms.tencentcloudapi.com", True),
        ("http://127.0.0.1:8089", True),
        ("http://localhost:8089", True),
        ("http://dysmsapi.aliyuncs.com", False),  # signed requests in the clear
        ("http://10.0.0.8:80", False),
        ("https://user:pw@sms.example.com", False),
    ],
)
def test_the_endpoint_is_https_or_this_machine(url: str, accepted: bool) -> None:
    values = {
        "sms_backend": "tencent",
        "sms_sign_name": "板凳",
        **template_codes("200000"),
        "sms_tencent_secret_id": "AKID-test",
        "sms_tencent_secret_key": "test-key",
        "sms_tencent_sdk_app_id": "1400000001",
        "sms_endpoint": url,
    }
    if accepted:
        settings = Settings.model_validate(values)
        assert endpoint(settings, "sms.tencentcloudapi.com")[0] == ("http" if url.startswith("http:") else "https")
    else:
        with pytest.raises(ValidationError, match="BANDENG_SMS_ENDPOINT"):
            Settings.model_validate(values)


def test_the_secrets_do_not_show_in_the_settings() -> None:
    settings = Settings(
        sms_aliyun_access_key_secret=SecretStr("aliyun-secret"), sms_tencent_secret_key=SecretStr("tencent-secret")
    )
    assert "aliyun-secret" not in repr(settings) and "tencent-secret" not in str(settings.model_dump())
