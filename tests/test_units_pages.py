"""The list of units in scope and the unit profile."""

from __future__ import annotations

from .helpers import make_unit, node, user
from .test_dashboard import city  # noqa: F401  (the fixed data set)


def test_the_units_list_is_scoped_searchable_and_sortable(city, browser_for):  # noqa: F811
    leader = browser_for("leader")
    html = leader.get("/units").get_data(as_text=True)
    assert "东湖区人民政府办公室" in html and "西山县人民医院" in html and "共 12 条" in html
    html = leader.get("/units?q=法院").get_data(as_text=True)
    assert "东湖区人民法院" in html and "东湖区教育局" not in html
    html = leader.get(f"/units?district={node('BC-XS').id}&type=institution").get_data(as_text=True)
    assert "西山县人民医院" in html and "西山县档案馆" in html and "西山县自然资源局" not in html
    # The filter form shows what was chosen.
    assert f'<option value="{node("BC-XS").id}" selected>' in html and '<option value="institution" selected>' in html
    html = leader.get("/units?key=1").get_data(as_text=True)
    assert "东湖区人民法院" in html and "东湖区教育局" not in html  # only key units
    # The latest bureau inspection's score and the unit's overdue tickets show in its row.
    html = leader.get("/units?q=东湖区人民政府办公室").get_data(as_text=True)
    assert "75.0" in html and "逾期 1" in html
    assert "没有符合条件的单位" in leader.get("/units?q=不存在的单位").get_data(as_text=True)
    officer = browser_for("officer").get("/units").get_data(as_text=True)
    assert "东湖区人民政府办公室" in officer and "东湖区教育局" not in officer


def test_an_inactive_unit_is_listed_on_request(city, browser_for):  # noqa: F811
    from inspect_app.extensions import db
    from inspect_app.services import org

    closed = make_unit(node("BC-DH"), "DH-OLD", "东湖区撤并单位")
    org.set_node_active(db.session, user("admin"), closed, False)
    leader = browser_for("leader")
    assert "东湖区撤并单位" not in leader.get("/units").get_data(as_text=True)
    assert "东湖区撤并单位" in leader.get("/units?inactive=1").get_data(as_text=True)


def test_the_unit_profile(city, browser_for):  # noqa: F811
    leader = browser_for("leader")
    unit = node("DH-ZFB")
    response = leader.get(f"/units/{unit.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "东湖区人民政府办公室" in html and "DH-ZFB" in html
    assert 'aria-labelledby="unit-scores-title' in html  # the score trend, bureau and self series
    assert "保密局检查" in html and "自查" in html
    # History: I0, I1 and S1 with their kinds and states.
    history = html[html.index('id="history-h"'):]
    assert "共 3 条" in history and history.count("<td>例行检查</td>") == 2 and history.count("<td>自查</td>") == 1
    assert "已办结" in html and "整改中" in html and "已提交" in html
    # Open tickets: T1 (overdue); repeat findings: I1's F3 with the date of I0.
    assert "逾期 2 天" in html
    assert "屡查屡犯的问题" in html and "上次" in html
    court = leader.get(f"/units/{node('DH-FY').id}").get_data(as_text=True)
    assert "已退回" in court and "没有屡查屡犯的问题" in court


def test_a_unit_with_no_history(demo, browser_for):
    html = browser_for("leader").get(f"/units/{node('BC-TJJ').id}").get_data(as_text=True)
    assert "还没有检查记录" in html and "没有未完成的整改事项" in html and "还没有完成的检查" in html


def test_the_profile_answers_404_outside_scope(city, browser_for):  # noqa: F811
    inspector2 = browser_for("inspector2")  # 东湖区
    assert inspector2.get(f"/units/{node('DH-FY').id}").status_code == 200
    for code in ("XS-YY", "BC-FGW", "BC-DH", "BC-BMJ"):
        assert inspector2.get(f"/units/{node(code).id}").status_code == 404, code
    officer2 = browser_for("officer2")
    assert officer2.get(f"/units/{node('XS-ZRZY').id}").status_code == 200
    assert officer2.get(f"/units/{node('XS-YY').id}").status_code == 404
    assert officer2.get("/units/notanumber").status_code == 404
