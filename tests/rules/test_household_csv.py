from __future__ import annotations

import pytest

from services.rules.household_csv import HEADER, Problem, parse_households

HEAD = ",".join(HEADER) + "\n"


def test_good_file_parses_every_row() -> None:
    parsed = parse_households(HEAD + "张三,一组 12 号,13812345678,3,\n李四,二组 3 号,,,独居\n\n")
    assert parsed.problems == []
    assert [(r.row, r.head_name, r.phone, r.member_count, r.notes) for r in parsed.rows] == [
        (2, "张三", "13812345678", 3, None),
        (3, "李四", None, 1, "独居"),
    ]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("张三,一组 1 号,1381234,2,", "phone"),
        ("张三,一组 1 号,23812345678,2,", "phone"),
        (",一组 1 号,13812345678,2,", "head_name"),
        ("张三,,13812345678,2,", "address"),
        ("张三,一组 1 号,13812345678,two,", "member_count"),
        ("张三,一组 1 号,13812345678,0,", "member_count"),
        ("张三,一组 1 号,13812345678,-1,", "member_count"),
        ("张" * 51 + ",一组 1 号,,1,", "head_name"),
        ("张三,一组 1 号,13812345678", None),
    ],
)
def test_bad_row_is_reported_with_row_and_field(line: str, field: str | None) -> None:
    parsed = parse_households(HEAD + "王五,三组 1 号,0571-87654321,1,\n" + line + "\n")
    assert [(p.row, p.field) for p in parsed.problems] == [(3, field)]


def test_duplicate_rows_point_at_the_first() -> None:
    parsed = parse_households(HEAD + "张三,一组 1 号,,1,\n李四,一组 2 号,,1,\n张三,一组 1 号,,2,\n")
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert (problem.row, problem.field) == (4, "head_name") and "第 2 行" in problem.message


def test_every_problem_is_listed_not_just_the_first() -> None:
    parsed = parse_households(HEAD + ",一组 1 号,12,x,\n李四,,,1,\n")
    assert {(p.row, p.field) for p in parsed.problems} == {
        (2, "head_name"),
        (2, "phone"),
        (2, "member_count"),
        (3, "address"),
    }


@pytest.mark.parametrize("text", ["name,address\n张三,一组\n", "", "head_name,address,phone,notes,member_count\n"])
def test_wrong_header_is_one_problem(text: str) -> None:
    assert parse_households(text).problems == [Problem(1, None, "表头应为 " + ",".join(HEADER))]


def test_bom_header_and_empty_body() -> None:
    assert parse_households("\ufeff" + HEAD + "张三,一组,,,\n").problems == []
    assert parse_households(HEAD).problems[0].row is None
