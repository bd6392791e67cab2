"""The residents' SMS templates as rules, no database: every one is one segment (70 characters, the sign's 【】
included) when filled with the longest values; the free text is cut to what is left; what the providers get; the
dates as a resident reads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.settings import Settings
from models.enums import CLOSURE_TYPE_LABELS
from services.notify import sms
from services.notify.sms import (
    RESIDENT_RATE_REMINDER,
    RESIDENT_REGISTERED,
    RESIDENT_REOPENED,
    RESIDENT_REPLIED,
    SEGMENT_CHARS,
    SIGN_MAX_CHARS,
    TEMPLATES,
    compose,
    fill,
    provider_text,
    signed_chars,
)
from services.requests.resident_notices import day, first_line, promised

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT_KINDS = [kind for kind, template in TEMPLATES.items() if template.text]
LONGEST_SIGN = "某" * SIGN_MAX_CHARS
# The longest realistic value of every parameter: a 12-character case code (today's are 11: ABCDE-FGHJK), a
# promise with its time, the longest closure label, a reply's result far longer than any segment.
LONGEST = {
    "code": "ABCDE-FGHJK7",
    "due": "12月31日23:30",
    "replied": "12月31日",
    "closure": max(CLOSURE_TYPE_LABELS.values(), key=len),
    "result": "已协调供电所更换村口至小学路段的全部路灯，并加装了两盏太阳能灯，今后由网格员每周巡查一次。" * 3,
}


def test_the_table_holds_the_four_residents_messages() -> None:
    assert sorted(RESIDENT_KINDS) == sorted(
        [RESIDENT_REGISTERED, RESIDENT_REPLIED, RESIDENT_REOPENED, RESIDENT_RATE_REMINDER]
    )
    assert set(sms.RESIDENT_LABELS) == set(RESIDENT_KINDS)


@pytest.mark.parametrize("kind", RESIDENT_KINDS)
@pytest.mark.parametrize("sign", [LONGEST_SIGN, "", "板凳"])
def test_every_residents_template_filled_with_the_longest_values_is_one_segment(kind: str, sign: str) -> None:
    params = fill(kind, LONGEST, sign=sign, param_max=35)
    text = TEMPLATES[kind].text.format(**params)
    assert signed_chars(text, sign) <= SEGMENT_CHARS, (kind, len(text), text)
    assert params["code"] == LONGEST["code"] and "【" not in text and "\n" not in text


@pytest.mark.parametrize(
    ("sign", "result_chars"),
    [("某" * SIGN_MAX_CHARS, 15), ("", 15), ("某某镇人民政府", 20), ("板凳", 25)],  # the longest sign while none is set
)
def test_the_result_is_cut_to_what_the_segment_leaves_with_the_sign(sign: str, result_chars: int) -> None:
    params = fill(RESIDENT_REPLIED, LONGEST, sign=sign, param_max=35)
    text = TEMPLATES[RESIDENT_REPLIED].text.format(**params)
    assert signed_chars(text, sign) == SEGMENT_CHARS
    assert len(params["result"]) == result_chars and params["result"].endswith("…")


def test_a_short_result_is_kept_whole_and_a_parameter_keeps_to_the_providers_limit() -> None:
    values = LONGEST | {"result": "路灯已修好"}
    assert fill(RESIDENT_REPLIED, values, sign="板凳", param_max=35)["result"] == "路灯已修好"
    assert fill(RESIDENT_REPLIED, LONGEST, sign="板凳", param_max=12)["result"] == LONGEST["result"][:11] + "…"


@pytest.mark.parametrize(
    ("kind", "aliyun", "tencent"),
    [
        (
            RESIDENT_REPLIED,
            "您的诉求${code}已答复（${closure}）：${result}。凭编号和手机后4位可评价。",
            "您的诉求{1}已答复（{2}）：{3}。凭编号和手机后4位可评价。",
        ),
        (
            RESIDENT_REGISTERED,
            "您的诉求已登记，编号${code}，将于${due}前答复。凭编号和手机后4位可查进度。",
            "您的诉求已登记，编号{1}，将于{2}前答复。凭编号和手机后4位可查进度。",
        ),
    ],
)
def test_what_to_register_with_each_provider(kind: str, aliyun: str, tencent: str) -> None:
    assert (provider_text(kind, "aliyun"), provider_text(kind, "tencent")) == (aliyun, tencent)


@pytest.mark.parametrize("kind", RESIDENT_KINDS)
def test_the_module_lists_every_template_to_register(kind: str) -> None:
    listed = sms.__doc__ or ""
    setting = f"BANDENG_{TEMPLATES[kind].setting.upper()}"
    assert setting in listed and provider_text(kind, "aliyun") in listed and provider_text(kind, "tencent") in listed


def test_a_residents_row_is_sent_as_its_template_with_the_parameters_in_order() -> None:
    settings = Settings(sms_template_resident_replied="SMS_465000003")
    body = json.dumps({"result": "路灯已修好", "code": "ABCDE-FGHJK", "closure": "实质解决"}, ensure_ascii=False)
    sms_ = compose(RESIDENT_REPLIED, "ignored", body, "13900001111", "resident:x:1:resident_replied", settings)
    assert sms_.template_code == "SMS_465000003"
    assert sms_.params == (("code", "ABCDE-FGHJK"), ("closure", "实质解决"), ("result", "路灯已修好"))
    assert sms_.text == "您的诉求ABCDE-FGHJK已答复（实质解决）：路灯已修好。凭编号和手机后4位可评价。"


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI), "12月31日"),  # a days-long promise: the end of a day
        (datetime(2026, 1, 5, 23, 59, 59, tzinfo=SHANGHAI), "1月5日"),
        (datetime(2026, 12, 31, 10, 0, tzinfo=UTC), "12月31日18:00"),  # hours-long: the time too
    ],
)
def test_the_promised_time_reads_as_a_day_or_a_day_and_a_time(at: datetime, expected: str) -> None:
    assert promised(at, SHANGHAI) == expected


def test_the_reply_day_and_the_results_first_line() -> None:
    assert day(datetime(2026, 11, 30, 17, 0, tzinfo=UTC), SHANGHAI) == "12月1日"
    assert first_line("\n  路灯已修好  \n另：线路老化已报供电所") == "路灯已修好"
    assert first_line("") == ""
