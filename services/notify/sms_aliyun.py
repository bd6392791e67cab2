"""Alibaba Cloud SMS (Dysmsapi 2017-05-25 `SendSms`) through the official SDK.

Chosen by `BANDENG_SMS_BACKEND=aliyun`, configured by `BANDENG_SMS_SIGN_NAME`, `BANDENG_SMS_ALIYUN_ACCESS_KEY_ID`,
`BANDENG_SMS_ALIYUN_ACCESS_KEY_SECRET`, the `BANDENG_SMS_TEMPLATE_*` codes and, for tests, `BANDENG_SMS_ENDPOINT`.
The answer's `BizId` is the message id kept on the outbox row. A refusal comes back with HTTP 200 and a `Code`
other than `OK` (isv.*), or as an HTTP error whose body carries the `Code` (credentials, throttling, 5xx); `ERRORS`
says which are worth another try. The outbox dedupe key goes as `OutId`: Alibaba Cloud does not deduplicate on it,
it echoes it in delivery receipts (QuerySendDetails, receipt messages), where a repeat after a crash can be told."""

from __future__ import annotations

import json
import re

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi import models as open_api_models

from core.settings import get_settings
from services.notify.sms import TIMEOUT_SECONDS, Sms, SmsError, Verdict, endpoint, verdict

ENDPOINT = "dysmsapi.aliyuncs.com"
_QUERY = re.compile(r"\?[^\s'\"]*")

ERRORS: dict[str, Verdict] = {
    # Throttled, or a hiccup at the platform: the outbox tries again with backoff.
    "isv.BUSINESS_LIMIT_CONTROL": "retry",  # per-number flow control (per minute, hour, day)
    "isv.DAY_LIMIT_CONTROL": "retry",  # the account's own daily cap, lifted by the next day or the operator
    "isv.MONTH_LIMIT_CONTROL": "retry",
    "Throttling": "retry",  # Throttling.User, Throttling.Api: the API's rate limit
    "isp.SYSTEM_ERROR": "retry",
    "ServiceUnavailable": "retry",
    "InternalError": "retry",
    "SignatureNonceUsed": "retry",  # a nonce collision: the next request draws another
    "InvalidTimeStamp": "retry",  # the clock was off: the next request is signed anew
    # Trying again cannot help: the number, the sign, the template or the account must change first.
    "isv.MOBILE_NUMBER_ILLEGAL": "give_up",
    "isv.MOBILE_COUNT_OVER_LIMIT": "give_up",
    "isv.BLACK_KEY_CONTROL_LIMIT": "give_up",  # the number is on a blacklist (unsubscribed)
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": "give_up",
    "isv.SMS_TEMPLATE_ILLEGAL": "give_up",  # template unknown or not approved
    "isv.TEMPLATE_MISSING_PARAMETERS": "give_up",
    "isv.INVALID_PARAMETERS": "give_up",
    "isv.INVALID_JSON_PARAM": "give_up",
    "isv.PARAM_LENGTH_LIMIT": "give_up",
    "isv.PARAM_NOT_SUPPORT_URL": "give_up",
    "isv.SMS_CONTENT_ILLEGAL": "give_up",
    "isv.SMS_SIGNATURE_ILLEGAL": "give_up",  # sign unknown or not approved
    "isv.SMS_SIGN_ILLEGAL": "give_up",
    "isv.SIGN_STATE_ILLEGAL": "give_up",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": "give_up",
    "isv.EXTEND_CODE_ERROR": "give_up",
    "isv.DENY_IP_RANGE": "give_up",
    "isv.AMOUNT_NOT_ENOUGH": "give_up",  # arrears
    "isv.OUT_OF_SERVICE": "give_up",  # suspended for arrears
    "isv.PRODUCT_UN_SUBSCRIPT": "give_up",
    "isv.PRODUCT_UNSUBSCRIBE": "give_up",
    "isv.ACCOUNT_NOT_EXISTS": "give_up",
    "isv.ACCOUNT_ABNORMAL": "give_up",
    "isp.RAM_PERMISSION_DENY": "give_up",
    "Forbidden": "give_up",  # Forbidden.RAM and the like: the key may not send
    "InvalidAccessKeyId": "give_up",  # InvalidAccessKeyId.NotFound, .Inactive
    "SignatureDoesNotMatch": "give_up",  # a wrong AccessKey secret
}


class AliyunGateway:
    """Sends one templated message per call; the SDK does not retry (the outbox does)."""

    def __init__(self) -> None:
        settings = get_settings()
        protocol, host = endpoint(settings, ENDPOINT)
        self._key_id = settings.sms_aliyun_access_key_id
        self._sign = settings.sms_sign_name
        config = open_api_models.Config(
            access_key_id=self._key_id,
            access_key_secret=settings.sms_aliyun_access_key_secret.get_secret_value(),
            endpoint=host,
            protocol=protocol,
            connect_timeout=TIMEOUT_SECONDS * 1000,
            read_timeout=TIMEOUT_SECONDS * 1000,
        )
        self._client = Client(config)

    def send(self, sms: Sms) -> str:
        request = SendSmsRequest(
            phone_numbers=sms.mobile,
            sign_name=self._sign,
            template_code=sms.template_code,
            template_param=json.dumps(dict(sms.params), ensure_ascii=False),
            out_id=sms.idempotency_key,
        )
        try:
            body = self._client.send_sms(request).body
        except Exception as exc:
            code = getattr(exc, "code", None)
            if not code or code == "None":  # no answer, or one without a code (a proxy's 502): retried
                cause = _QUERY.sub("", str(exc))  # the failed URL quotes the number and the parameters
                raise SmsError("aliyun", type(exc).__name__, cause, permanent=False) from None
            raise self._refusal(str(code), str(getattr(exc, "message", ""))) from None
        if body.code != "OK":
            raise self._refusal(str(body.code), str(body.message))
        return str(body.biz_id)

    def _refusal(self, code: str, message: str) -> SmsError:
        # A signature error quotes the string it signed, AccessKey id included: the id stays out of the row.
        shown = message.replace(self._key_id, "***") if self._key_id else message
        return SmsError("aliyun", code, shown, permanent=verdict(ERRORS, code) == "give_up")
