"""Tencent Cloud SMS (API 3.0, `SendSms` 2021-01-11) through the official SDK.

Chosen by `BANDENG_SMS_BACKEND=tencent`, configured by `BANDENG_SMS_SIGN_NAME`, `BANDENG_SMS_TENCENT_SECRET_ID`,
`BANDENG_SMS_TENCENT_SECRET_KEY`, `BANDENG_SMS_TENCENT_SDK_APP_ID`, `BANDENG_SMS_TENCENT_REGION`, the
`BANDENG_SMS_TEMPLATE_*` ids and, for tests, `BANDENG_SMS_ENDPOINT`. The number's `SerialNo` is the message id kept
on the outbox row. A refusal comes back either for the whole request (`Response.Error.Code`, raised by the SDK) or
for the number (`SendStatusSet[0].Code` other than `Ok`); `ERRORS` says which are worth another try, by code or by
family (`LimitExceeded.*`). The outbox dedupe key goes as `SessionContext`: Tencent does not deduplicate on it, it
echoes it in status reports, where a repeat after a crash can be told."""

from __future__ import annotations

from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111.models import SendSmsRequest
from tencentcloud.sms.v20210111.sms_client import SmsClient

from core.settings import get_settings
from services.notify.sms import TIMEOUT_SECONDS, Sms, SmsError, Verdict, endpoint, verdict

ENDPOINT = "sms.tencentcloudapi.com"
SESSION_CONTEXT_BYTES = 500  # the API takes less than 512

ERRORS: dict[str, Verdict] = {
    # Throttled, or a hiccup at the platform: the outbox tries again with backoff.
    "LimitExceeded": "retry",  # frequency and daily limits per number, per app
    "RequestLimitExceeded": "retry",  # the API's own rate limit
    "InternalError": "retry",
    "ServerNetworkError": "retry",  # the SDK's name for an HTTP status other than 200
    "ClientNetworkError": "retry",  # the SDK's name for no answer
    "AuthFailure.SignatureExpire": "retry",  # the clock was off: the next request is signed anew
    # Trying again cannot help: the number, the sign, the template or the account must change first.
    "LimitExceeded.AppCountryOrRegionInBlacklist": "give_up",
    "LimitExceeded.PhoneNumberCountLimit": "give_up",
    "FailedOperation": "give_up",  # sign or template not approved, number blacklisted, package used up, ...
    "InvalidParameterValue": "give_up",  # a malformed number, a parameter too long, ...
    "InvalidParameter": "give_up",
    "MissingParameter": "give_up",
    "UnauthorizedOperation": "give_up",  # app disabled, service suspended for arrears, IP not allowed
    "UnsupportedOperation": "give_up",
    "AuthFailure": "give_up",  # a wrong SecretId or SecretKey
}


class TencentGateway:
    """Sends one templated message per call; the SDK does not retry (the outbox does)."""

    def __init__(self) -> None:
        settings = get_settings()
        protocol, host = endpoint(settings, ENDPOINT)
        self._app_id = settings.sms_tencent_sdk_app_id
        self._sign = settings.sms_sign_name
        http = HttpProfile(protocol=protocol, endpoint=host, reqMethod="POST", reqTimeout=TIMEOUT_SECONDS)
        credential = Credential(settings.sms_tencent_secret_id, settings.sms_tencent_secret_key.get_secret_value())
        profile = ClientProfile(httpProfile=http, disable_region_breaker=True)  # no fallback to another host
        self._client = SmsClient(credential, settings.sms_tencent_region, profile)

    def send(self, sms: Sms) -> str:
        request = SendSmsRequest()
        request.SmsSdkAppId = self._app_id
        request.SignName = self._sign
        request.TemplateId = sms.template_code
        request.TemplateParamSet = [value for _, value in sms.params]
        request.PhoneNumberSet = [sms.mobile if sms.mobile.startswith("+") else f"+86{sms.mobile}"]
        request.SessionContext = sms.idempotency_key.encode()[:SESSION_CONTEXT_BYTES].decode(errors="ignore")
        try:
            [status] = self._client.SendSms(request).SendStatusSet
        except TencentCloudSDKException as exc:
            raise _refusal(str(exc.code), str(exc.message)) from None
        if status.Code != "Ok":
            raise _refusal(str(status.Code), str(status.Message))
        return str(status.SerialNo)


def _refusal(code: str, message: str) -> SmsError:
    return SmsError("tencent", code, message, permanent=verdict(ERRORS, code) == "give_up")
