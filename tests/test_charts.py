"""The SVG charts: standalone, accessible, escaped, and drawable with nothing to draw."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from inspect_app import charts
from inspect_app.charts import Bar, Series, Threshold

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart) -> ET.Element:
    return ET.fromstring(charts.as_document(chart).split("\n", 1)[1])


def test_a_bar_chart_labels_every_bar_and_links_it():
    href = "/dashboard/findings?category=network&show=findings"
    chart = charts.hbar_chart([Bar("网络与信息设备保密管理", 12, href=href), Bar("定密管理", 3, note="★")],
                              title="问题分布", desc="各方面发现的问题数")
    root = parse(chart)
    name = chart_id(chart)
    # Bars that link make it a labelled group: an image's content would hide the links.
    assert root.get("role") == "group" and root.get("aria-labelledby") == f"{name}-title"
    assert root.get("aria-describedby") == f"{name}-desc"
    still = parse(charts.hbar_chart([Bar("定密管理", 3)], title="问题分布", desc="说明"))
    assert still.get("role") == "img" and still.get("aria-labelledby").endswith("-desc")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == "问题分布"  # the title, printed
    assert "网络与信息设备保密管理" in texts and "12" in texts and "3" in texts and "★" in texts
    links = list(root.iter(f"{SVG}a"))
    assert len(links) == 1 and links[0].get("href").endswith("show=findings")
    assert links[0].get("aria-label") == "网络与信息设备保密管理：12"
    assert all(g.find(f"{SVG}title") is not None for g in root.iter(f"{SVG}g") if g.get("transform") is None)


def chart_id(chart) -> str:
    return re.search(r'aria-labelledby="([\w-]+?)-title', str(chart)).group(1)


def test_severity_is_told_by_pattern_and_words_not_colour_alone():
    names = {"critical": "重大泄密隐患", "serious": "严重问题", "general": "一般问题"}
    segments = charts.severity_segments({"critical": 1, "serious": 2, "general": 3}, names)
    chart = charts.hbar_chart([Bar("保密要害部门部位", 6, segments=segments)], title="问题分布",
                              legend=charts.severity_legend(names))
    root = parse(chart)
    patterns = list(root.iter(f"{SVG}pattern"))
    assert len(patterns) == 2  # serious hatched, general dotted; critical solid
    assert {"重大泄密隐患", "严重问题", "一般问题"} <= {t.text for t in root.iter(f"{SVG}text")}


def test_text_is_escaped():
    chart = charts.hbar_chart([Bar('<script>alert(1)</script>"&', 1, href='/x?a=1&b="2"')], title="<b>t</b>")
    text = str(chart)
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text and "&amp;" in text
    parse(chart)  # still well-formed XML


def test_an_empty_chart_says_so():
    for chart in (charts.hbar_chart([], title="t", empty="本期没有发现问题。"),
                  charts.line_chart([], [], title="t", empty="本期没有发现问题。"),
                  charts.line_chart(["2026-01"], [Series("平均得分", [None])], title="t", empty="本期没有发现问题。"),
                  charts.column_chart(["2026-01"], [0], title="t", empty="本期没有发现问题。")):
        root = parse(chart)
        assert "本期没有发现问题。" in [t.text for t in root.iter(f"{SVG}text")]


def test_a_line_chart_with_two_series_and_thresholds():
    labels = [f"2026-{m:02d}" for m in range(1, 13)]
    chart = charts.line_chart(labels, [Series("保密局检查", [80 + m for m in range(12)]),
                                       Series("自查", [None] * 11 + [99.5], marker="square", dashed=True)],
                              title="得分", y_max=100, thresholds=[Threshold(90, "90 符合要求")])
    root = parse(chart)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "保密局检查" in texts and "自查" in texts and "90 符合要求" in texts and "99.5" in texts
    assert "2026-12" in texts  # the last label always shows
    assert len(list(root.iter(f"{SVG}circle"))) == 12 + 1  # the points and the legend's marker


def test_long_labels_wrap_and_are_cut():
    lines = charts.wrap("涉密与非涉密计算机之间未交叉使用U盘、移动硬盘等存储介质，并建立台账定期检查", 160, 2)
    assert len(lines) == 2 and lines[1].endswith("…")
    assert not lines[1].startswith("，")
    assert charts.fit("短", 100) == "短"


def test_charts_carry_no_style_attributes():
    chart = charts.column_chart(["a", "b"], [1, 2.5], title="t")
    assert " style=" not in str(chart) and "<style" not in str(chart)
