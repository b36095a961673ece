"""The phone page of a route (`/routes/{id}/view`): the route on a Leaflet map (Folium, the
`/map` basemaps, scripts served locally) above the stops in order, each with its Amap and
Baidu navigation links and a button that opens its checklist right there as a form to record
the visit (pass / fail / not applicable per criterion, notes, the phone's position, photos
resized on the phone for the problems it opens); verification stops with before and after
side by side; 随手报 for a problem on the way. Writes wait in an outbox (IndexedDB) until there
is signal and the page opens again offline (a service worker), so nothing is lost in a
basement; each carries a client id, so a resend never records anything twice."""

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import folium

from geoapi.inspections.checklists import Checklist, Checklists
from geoapi.map import display
from geoapi.map.basemaps import MAX_ZOOM, Basemap, add_to
from geoapi.patrol.sheet import REASONS, local_time, stops_to_show
from geoapi.patrol.stored import route_title

STYLE = """<style>
html, body { margin: 0; font: 15px/1.4 "WenQuanYi Zen Hei", sans-serif; }
body { display: flex; flex-direction: column; }  /* header, map, then the stops */
header { order: 0; }
.folium-map { order: 1; height: 48vh !important; flex: none; }
.stops { order: 2; }
.stops { list-style: none; margin: 0; padding: 0 8px 16px; }
.stops > li { border-bottom: 1px solid #ddd; padding: 8px 0; }
.stops .seq { display: inline-block; width: 26px; height: 26px; border-radius: 13px;
  background: #c0392b; color: #fff; text-align: center; line-height: 26px; margin-right: 6px; }
.stops .done .seq { background: #27ae60; }
.stops .muted { color: #666; font-size: 13px; }
.stops details { margin-top: 6px; }
.stops summary { display: inline-block; padding: 6px 10px; border-radius: 6px; background: #efe; }
.stops details ol { margin: 6px 0 0; padding-left: 22px; font-size: 14px; }
.stops a { display: inline-block; margin: 6px 8px 0 0; padding: 6px 10px; border-radius: 6px;
  background: #eef; color: #124; text-decoration: none; }
header { padding: 8px; background: #2c3e50; color: #fff; }
.pin { background: #fff; border: 2px solid #c0392b; border-radius: 12px; text-align: center;
  font: bold 12px/20px sans-serif; }
.visit fieldset { border: 0; border-top: 1px solid #eee; margin: 0; padding: 6px 0; }
.visit legend { font-size: 14px; padding: 0; }
.visit label { display: inline-block; min-width: 64px; margin: 4px 6px 0 0; padding: 8px 10px;
  border: 1px solid #bbb; border-radius: 6px; text-align: center; }
.visit label.checked { background: #2c3e50; color: #fff; border-color: #2c3e50; }
.visit input[type=radio] { position: absolute; opacity: 0; }
.visit textarea { width: 100%; box-sizing: border-box; min-height: 48px; font: inherit; }
.visit button { margin-top: 8px; padding: 12px 18px; font: inherit; border: 0;
  border-radius: 6px; background: #27ae60; color: #fff; }
.visit .status, .verify .status { margin: 6px 0 0; }
.verify .status.error { color: #c0392b; }
.verify .pair { display: flex; gap: 6px; }
.verify figure { flex: 1; margin: 6px 0; }
.verify figcaption { font-size: 13px; color: #555; }
.verify img { width: 100%; border-radius: 4px; }
.verify textarea { width: 100%; box-sizing: border-box; min-height: 44px; font: inherit; }
.verify button { margin-top: 8px; padding: 12px 14px; font: inherit; border: 0;
  border-radius: 6px; background: #27ae60; color: #fff; }
.verify button.back { background: #c0392b; }
.outbox { order: 3; margin: 8px; padding: 8px; background: #fff8e1; border-radius: 6px; }
.outbox h2 { font-size: 16px; margin: 0 0 4px; }
.outbox ul { margin: 0; padding-left: 18px; }
.outbox li.refused { color: #c0392b; }
.outbox button { padding: 6px 10px; font: inherit; }
.report { order: 4; margin: 8px; padding: 8px; border-top: 3px solid #2c3e50; }
.report h2 { font-size: 17px; margin: 4px 0; }
.report select, .report textarea { display: block; width: 100%; box-sizing: border-box;
  margin: 6px 0; padding: 10px; font: inherit; }
.report fieldset { border: 0; padding: 0; margin: 0; }
.report fieldset label { display: inline-block; margin: 4px 6px 0 0; padding: 8px 12px;
  border: 1px solid #bbb; border-radius: 6px; }
.report fieldset label.checked { background: #2c3e50; color: #fff; }
.report input[type=radio] { position: absolute; opacity: 0; }
.report button { margin-top: 8px; padding: 12px 18px; font: inherit; border: 0;
  border-radius: 6px; background: #c0392b; color: #fff; }
.report .status.error { color: #c0392b; }
.visit .opens { display: block; color: #a04000; font-size: 12px; }
.visit label.partial { display: none; min-width: 0; border: 0; padding: 4px 0; }
.visit fieldset.failed label.partial { display: block; }
.visit label.partial input { width: 5em; padding: 8px; font: inherit; }
.visit label.photo { display: block; margin-top: 6px; text-align: left; }
.visit label.photo input { display: block; margin-top: 4px; font: inherit; }
.visit .status.error { color: #c0392b; }
</style>"""

TEMPLATES = Path(__file__).parents[1] / "templates"
# The forms' and the offline cache's scripts, served inline: the page works from one response.
SCRIPT = "".join(
    f"<script>{(TEMPLATES / name).read_text('utf-8')}</script>"
    for name in ("phone_visit.js", "phone_offline.js")
)
SERVICE_WORKER = (TEMPLATES / "phone_sw.js").read_text("utf-8")


@dataclass(frozen=True)
class VisitForm:
    """What the visit forms need beyond the route: the names of the problem types a failed
    line opens, and how far from the point a visit is flagged (`inspection_far_m`)."""

    type_names: dict[str, str]
    far_m: float


def phone_page(
    route: dict[str, Any],
    legs: dict[str, Any],
    basemap: Basemap,
    zone: ZoneInfo,
    checklists: Checklists,
    form: VisitForm,
) -> str:
    """The whole page; coordinates drawn in the basemap's datum, links in each app's."""
    fmap = folium.Map(tiles=None, zoom_control=True)
    display.MetricScale().add_to(fmap)
    add_to(fmap, basemap)
    bounds = []
    for feature in legs["features"]:
        if feature["properties"]["kind"] != "leg" or not feature["geometry"]:
            continue
        rows = display.shift_rows(
            [[lat, lon] for lon, lat in feature["geometry"]["coordinates"]], basemap.datum
        )
        folium.PolyLine(rows, color="#c0392b", weight=4).add_to(fmap)
        bounds += rows
    for stop in route["stops"]:
        lon, lat = stop["position"]
        (row,) = display.shift_rows([[lat, lon]], basemap.datum)
        folium.Marker(
            row,
            icon=folium.DivIcon(html=f'<div class="pin">{stop["seq"]}</div>', icon_size=(24, 24)),
            tooltip=f"{stop['seq']}. {stop['name'] or stop['point'] or ''}",
        ).add_to(fmap)
        bounds.append(row)
    if bounds:
        fmap.fit_bounds(bounds)
    root = display.page_of(fmap)
    root.header.add_child(display.Raw(STYLE))
    root.header.add_child(
        display.Raw(
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>{escape(route_title(route))} {route['date']} 巡查路线</title>"
        )
    )
    root.html.add_child(display.Raw(_stop_list(route, zone, checklists, form)))
    root.html.add_child(display.Raw(_tile_source(basemap)))
    root.html.add_child(display.Raw(SCRIPT))
    return root.render()


def _tile_source(basemap: Basemap) -> str:
    """The basemap's tile address for the page to cache its tiles over the route's area."""
    if basemap.tiles is None:
        return ""
    source = {"url": basemap.tiles, "subdomains": basemap.subdomains, "max_zoom": MAX_ZOOM}
    inline = json.dumps(source).replace("</", "<\\/")  # cannot end the script element
    return f'<script type="application/json" id="geoapi-basemap">{inline}</script>'


def _stop_list(
    route: dict[str, Any], zone: ZoneInfo, checklists: Checklists, form: VisitForm
) -> str:
    done, late = route["progress"]["done"], route["progress"]["late_min"]
    behind = "" if late is None else f" · {'晚' if late > 0 else '早'} {abs(late):.0f} 分钟"
    items = []
    for stop, links, checklist in stops_to_show(route, checklists):
        facts = [local_time(stop["arrival"], zone), REASONS[stop["reason"]], stop["point"]]
        items.append(
            f'<li class="{"done" if stop["visited_at"] else ""}"><span class="seq">{stop["seq"]}'
            f"</span><b>{escape(stop['name'] or stop['point'] or '')}</b> "
            f'<span class="muted">{escape(" · ".join(f for f in facts if f))}</span><br>'
            f'<a href="{escape(str(links["amap"]))}">高德导航</a>'
            f'<a href="{escape(str(links["baidu"]))}">百度导航</a>'
            f"{_verification(stop) if _to_verify(stop) else ''}"
            f"{_checklist(checklist, stop, route['team'], form) if checklist else ''}</li>"
        )
    return (
        f"<header>{escape(route_title(route))} · {route['date']} · 已完成 {done}/"
        f'{len(route["stops"])}{behind}</header><ol class="stops">{"".join(items)}</ol>'
        '<section class="outbox" hidden><h2>待发送 Outbox</h2><ul></ul></section>'
        f"{_report_form(route, form)}"
    )


def _report_form(route: dict[str, Any], form: VisitForm) -> str:
    """随手报: a problem seen anywhere on the way, where the phone is (or at a stop's point
    when the phone gives no position), with photos."""
    types = "".join(
        f'<option value="{escape(code)}">{escape(name)}</option>'
        for code, name in sorted(form.type_names.items(), key=lambda item: item[1])
    )
    stops = "".join(
        f'<option value="{escape(s["point"])}">{s["seq"]}. '
        f"{escape(s['name'] or s['point'])}</option>"
        for s in route["stops"]
        if s["point"]
    )
    levels = "".join(
        f'<label><input type="radio" name="severity" value="{n}"{" checked" if n == 2 else ""}>'
        f"{name}</label>"
        for n, name in ((1, "一般"), (2, "较重"), (3, "严重"))
    )
    return (
        '<form class="report"><h2>随手报 Report a problem</h2>'
        f'<select name="type" required><option value="">问题类型 Type</option>{types}</select>'
        f"<fieldset><legend>严重程度 Severity</legend>{levels}</fieldset>"
        '<textarea name="description" placeholder="描述 What and where"></textarea>'
        '<label class="photo">拍照 Photo<input type="file" accept="image/*" '
        'capture="environment" multiple></label>'
        f'<select name="point"><option value="">位置：当前定位 Where the phone is</option>{stops}'
        "</select>"
        '<button type="submit">上报 Report</button><p class="status"></p></form>'
    )


def _checklist(checklist: Checklist, stop: dict[str, Any], team: str, form: VisitForm) -> str:
    """The standard to score the point by, folded under a button, as the form of the visit."""
    title = escape(checklist.title)
    if not stop["point"] or stop["visited_at"] or stop["reason"] == "verify":
        # visited already, or a problem to verify (its form is above): the standard to read
        lines = "".join(f"<li>{escape(c.text)}（{c.weight:g} 分）</li>" for c in checklist.criteria)
        return f"<details><summary>测评表</summary><b>{title}</b><ol>{lines}</ol></details>"
    fields = "".join(_criterion(c, form.type_names) for c in checklist.criteria)
    lon, lat = stop["position"]
    return (
        f"<details><summary>测评表</summary><b>{title}</b>"
        f'<form class="visit" data-point="{escape(stop["point"])}" data-team="{escape(team)}" '
        f'data-lon="{lon}" data-lat="{lat}" data-far-m="{form.far_m:g}">'
        f"<ol>{fields}</ol>"
        '<textarea name="notes" placeholder="备注 Notes"></textarea>'
        '<label class="photo">拍照 Photo<input type="file" accept="image/*" capture="environment" '
        "multiple></label>"
        '<button type="submit">保存检查 Save visit</button><p class="status"></p>'
        "</form></details>"
    )


CHOICES = (("pass", "达标"), ("fail", "不达标"), ("na", "不适用"))


def _criterion(criterion: Any, type_names: dict[str, str]) -> str:
    """One line of the form; a criterion that names a problem type says which problem its
    fail opens at the point (sent as `open_issue`)."""
    veto = "，一票否决" if criterion.critical else ""
    options = "".join(
        f'<label><input type="radio" name="{escape(criterion.id)}" value="{value}">{name}</label>'
        for value, name in CHOICES
    )
    opens = criterion.issue_type
    hint = (
        f'<span class="opens">不达标即开立问题：{escape(type_names.get(opens, opens))}</span>'
        if opens
        else ""
    )
    attributes = f' data-criterion="{escape(criterion.id)}"'
    attributes += f' data-opens="{escape(opens)}"' if opens else ""
    partial = (  # credit kept despite a fail, below the weight; none on a veto line
        ""
        if criterion.critical
        else '<label class="partial">部分得分 Partial <input type="number" inputmode="decimal" '
        f'min="0" max="{criterion.weight:g}" step="0.5"></label>'
    )
    return (
        f"<li><fieldset{attributes}>"
        f"<legend>{escape(criterion.text)}（{criterion.weight:g} 分{veto}）{hint}</legend>"
        f"{options}{partial}</fieldset></li>"
    )


def _to_verify(stop: dict[str, Any]) -> bool:
    return stop["reason"] == "verify" and bool(stop["issue_id"]) and not stop["visited_at"]


def _verification(stop: dict[str, Any]) -> str:
    """A rectified problem to check on the spot: its before and after photos side by side,
    then close it (销号) or send it back with the reason (返工)."""
    issue = escape(str(stop["issue_id"]))
    columns = []
    for tag, title in (("before", "整改前 Before"), ("after", "整改后 After")):
        pictures = "".join(
            f'<img src="/issues/{issue}/photos/{escape(p["sha256"])}" alt="{title}">'
            for p in stop["photos"]
            if p.get("tag") == tag and str(p.get("content_type", "")).startswith("image/")
        )
        columns.append(f"<figure><figcaption>{title}</figcaption>{pictures or '—'}</figure>")
    return (
        f'<form class="verify" data-issue="{issue}"><div class="pair">{"".join(columns)}</div>'
        '<textarea name="note" placeholder="返工原因（返工时必填） Why it goes back"></textarea>'
        '<button type="submit" value="close">核查通过 销号 Close</button> '
        '<button type="submit" value="reopen" class="back">返工 Send back</button>'
        '<p class="status"></p></form>'
    )
