"""SMS through a provider: the gateway protocol, the development gateway, the table of templates and the verdict
on a provider's error codes. The provider adapters live in `sms_aliyun` and `sms_tencent`, so that neither SDK is
imported unless chosen (`channels.load_gateway` loads the one `BANDENG_SMS_BACKEND` names).

Alibaba Cloud and Tencent Cloud send only templates that the operator registered and they approved: a message goes
out as a template code and its parameters, never as free text. Each kind of outbox message maps to one template in
`TEMPLATES` (the setting holding its code, and how its parameters are drawn from the message); kinds not listed are
staff notices. The staff notice names what happened (the outbox title, e.g. "红牌超期：诉求 A0001"); its body waits
in the in-app inbox.

Templates to register (README text)
-----------------------------------

Register each template as a notice (Alibaba Cloud 短信通知, Tencent Cloud 普通短信) under your approved sign, then put
the code the provider gives it in `.env`:

- `BANDENG_SMS_TEMPLATE_STAFF`, the staff notice (its one variable is the title, of type 其他):
  - Alibaba Cloud: `您有一条新的工作提醒：${title}，请登录板凳查看处理。`
  - Tencent Cloud: `您有一条新的工作提醒：{1}，请登录板凳查看处理。`
- `BANDENG_SMS_TEMPLATE_RESIDENT_REGISTERED`, to the resident when the request is registered:
  - Alibaba Cloud: `您的诉求已登记，编号${code}，将于${due}前答复。凭编号和手机后4位可查进度。`
  - Tencent Cloud: `您的诉求已登记，编号{1}，将于{2}前答复。凭编号和手机后4位可查进度。`
- `BANDENG_SMS_TEMPLATE_RESIDENT_REPLIED`, when it is answered:
  - Alibaba Cloud: `您的诉求${code}已答复（${closure}）：${result}。凭编号和手机后4位可评价。`
  - Tencent Cloud: `您的诉求{1}已答复（{2}）：{3}。凭编号和手机后4位可评价。`
- `BANDENG_SMS_TEMPLATE_RESIDENT_REOPENED`, when it is reopened (不满意):
  - Alibaba Cloud: `您的诉求${code}已重新办理，将于${due}前答复。凭编号和手机后4位可查进度。`
  - Tencent Cloud: `您的诉求{1}已重新办理，将于{2}前答复。凭编号和手机后4位可查进度。`
- `BANDENG_SMS_TEMPLATE_RESIDENT_RATE_REMINDER`, once, when a reply waited BANDENG_RATE_REMINDER_DAYS unrated:
  - Alibaba Cloud: `您的诉求${code}已于${replied}答复，尚未评价。凭编号和手机后4位可评价，谢谢。`
  - Tencent Cloud: `您的诉求{1}已于{2}答复，尚未评价。凭编号和手机后4位可评价，谢谢。`

The residents' variables are all of type 其他: `code` the case code (ABCDE-FGHJK, 11 characters), `due` and
`replied` a local date (12月31日, with the time when the promise is not the end of a day: 12月31日18:00),
`closure` the kind of answer (实质解决 / 阶段性答复 / 程序性答复), `result` the first line of the reply, cut so
that the message with the sign is one segment of 70 characters. Parameters are cut to
`BANDENG_SMS_PARAM_MAX_CHARS` characters (35 by default, Alibaba Cloud's limit for a notice variable; set what your
provider approved: the case code needs 11), and 【】, which mark the sign, never appear in them.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Literal, Protocol

from core.crypto import mask_phone
from core.settings import Settings, get_settings

log = logging.getLogger("bandeng.sms")

SMS_CHARS = 300  # the free text (log gateway and custom gateways); a provider's text is its template
TIMEOUT_SECONDS = 10  # to connect, and to read: a message started within the send budget ends within its lease

Verdict = Literal["retry", "give_up"]


@dataclass(frozen=True)
class Sms:
    """One message to one number: a template code and its parameters for a provider, plain text for the rest."""

    mobile: str
    text: str
    template_code: str
    params: tuple[tuple[str, str], ...]  # in the template's order: Alibaba Cloud names them, Tencent numbers them
    idempotency_key: str


class SmsError(Exception):
    """A provider's refusal, with its error code; a `permanent` one is given up at once, others are retried."""

    def __init__(self, provider: str, code: str, message: str, *, permanent: bool) -> None:
        super().__init__(f"{provider} {code}: {message}"[:400])
        self.code = code
        self.permanent = permanent


class SmsGateway(Protocol):
    """An SMS provider: returns its id of the message; raises `SmsError(permanent=True)` when trying again cannot
    help, anything else to be retried."""

    def send(self, sms: Sms) -> str: ...


class LogGateway:
    """The default: logs that a message would go out, and succeeds with a made-up id. The text (which can quote a
    resident's request) is logged only in development; elsewhere just its length."""

    def send(self, sms: Sms) -> str:
        shown = sms.text if get_settings().environment == "development" else f"<{len(sms.text)} 字>"
        log.info("sms to %s [%s]: %s", mask_phone(sms.mobile), sms.idempotency_key, shown)
        return f"log-{uuid.uuid4().hex[:20]}"


def endpoint(settings: Settings, default: str) -> tuple[str, str]:
    """(protocol, host[:port]) of the provider's API: https to `default` unless `sms_endpoint` names another."""
    url = settings.sms_endpoint or default
    scheme, separator, host = url.partition("://")
    return (scheme, host.rstrip("/")) if separator else ("https", url)


# Templates: message kind → the setting holding the provider's template code, and the parameters in order.

Params = Callable[[str, str], tuple[tuple[str, str], ...]]  # (title, body) → ((name, value), ...)

SEGMENT_CHARS = 70  # one SMS segment of Chinese text (UCS-2), the sign in 【】 included: one message, one charge
SIGN_MAX_CHARS = 12  # the longest sign the providers approve, counted while none is set
FREE = "result"  # the one parameter of free text (a reply's result), cut to what the segment leaves


def _title(title: str, body: str) -> tuple[tuple[str, str], ...]:
    return (("title", title),)


@dataclass(frozen=True)
class SmsTemplate:
    setting: str  # a `sms_template_*` field of Settings: every one must be set for a provider to start
    params: Params = _title
    # A resident's message: its words, a {name} per parameter, in the order a provider numbers them; the outbox
    # row's body holds the values (JSON), its title the text as sent. Empty for the staff notice.
    text: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in Formatter().parse(self.text) if name)


STAFF_NOTICE = "staff_notice"
RESIDENT_REGISTERED = "resident_registered"
RESIDENT_REPLIED = "resident_replied"
RESIDENT_REOPENED = "resident_reopened"
RESIDENT_RATE_REMINDER = "resident_rate_reminder"

# Every kind that goes out by SMS. A resident's text, filled with the longest values (a 12-character case code,
# "12月31日23:30", "阶段性答复"), stays within SEGMENT_CHARS with the longest sign (tests/services/notify/test_sms.py).
TEMPLATES: dict[str, SmsTemplate] = {
    STAFF_NOTICE: SmsTemplate("sms_template_staff"),
    RESIDENT_REGISTERED: SmsTemplate(
        "sms_template_resident_registered",
        text="您的诉求已登记，编号{code}，将于{due}前答复。凭编号和手机后4位可查进度。",
    ),
    RESIDENT_REPLIED: SmsTemplate(
        "sms_template_resident_replied", text="您的诉求{code}已答复（{closure}）：{result}。凭编号和手机后4位可评价。"
    ),
    RESIDENT_REOPENED: SmsTemplate(
        "sms_template_resident_reopened", text="您的诉求{code}已重新办理，将于{due}前答复。凭编号和手机后4位可查进度。"
    ),
    RESIDENT_RATE_REMINDER: SmsTemplate(
        "sms_template_resident_rate_reminder",
        text="您的诉求{code}已于{replied}答复，尚未评价。凭编号和手机后4位可评价，谢谢。",
    ),
}

RESIDENT_LABELS = {
    RESIDENT_REGISTERED: "登记回执",
    RESIDENT_REPLIED: "答复通知",
    RESIDENT_REOPENED: "重办通知",
    RESIDENT_RATE_REMINDER: "评价提醒",
}


def compose(kind: str, title: str, body: str, mobile: str, idempotency_key: str, settings: Settings) -> Sms:
    """The SMS of one outbox row: its kind's template (a staff notice unless listed) and parameters a provider
    accepts, with the plain text beside them (a resident's: the template's words, as the provider sends them)."""
    template = TEMPLATES.get(kind) or TEMPLATES[STAFF_NOTICE]
    limit = settings.sms_param_max_chars
    if template.text:
        values = json.loads(body)
        params = tuple((name, fit(str(values[name]), limit)) for name in template.names)
        text = template.text.format(**dict(params))
    else:
        params = tuple((name, fit(value, limit)) for name, value in template.params(title, body))
        text = _cut(f"{title}：{body}", SMS_CHARS)
    return Sms(
        mobile=mobile,
        text=text,
        template_code=str(getattr(settings, template.setting)),
        params=params,
        idempotency_key=idempotency_key,
    )


def fill(kind: str, values: Mapping[str, str], *, sign: str, param_max: int) -> dict[str, str]:
    """A resident message's parameters: each one line, without 【】, within the provider's parameter limit, and
    the free text (`result`) cut further so that the message with its sign is one segment."""
    template = TEMPLATES[kind]
    filled = {name: fit(values[name], param_max) for name in template.names}
    if FREE in filled:
        room = SEGMENT_CHARS - signed_chars(template.text.format(**{**filled, FREE: ""}), sign)
        filled[FREE] = _cut(filled[FREE], max(room, 1))
    return filled


def signed_chars(text: str, sign: str) -> int:
    """What a provider counts of one message: the text and the sign in 【】 (the longest sign while none is set)."""
    return len(text) + len(sign or "签" * SIGN_MAX_CHARS) + 2


def provider_text(kind: str, provider: Literal["aliyun", "tencent"]) -> str:
    """A resident template's words as registered with a provider: Alibaba Cloud names its variables (${code}),
    Tencent Cloud numbers them ({1}, {2}, … in the order they appear)."""
    template = TEMPLATES[kind]
    if provider == "aliyun":
        return template.text.format(**{name: f"${{{name}}}" for name in template.names})
    return template.text.format(**{name: f"{{{i}}}" for i, name in enumerate(template.names, start=1)})


def fit(value: str, limit: int) -> str:
    """One line, no 【】 (providers take them for a sign: "【红牌超期】诉求 A1" becomes "红牌超期：诉求 A1"), at most
    `limit` characters."""
    plain = " ".join(value.replace("【", "").replace("】", "：").split()).strip("：")
    return _cut(plain, limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def verdict(table: Mapping[str, Verdict], code: str) -> Verdict:
    """The code's own entry, else its family's (the part before the first dot), else retry: an error nobody listed
    is tried again until the attempts run out, never dropped at once."""
    return table.get(code) or table.get(code.split(".", 1)[0]) or "retry"
