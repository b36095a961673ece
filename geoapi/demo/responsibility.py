"""The demo city's responsibility: a district leader paired with each street and its street
office backing it (包联, 包保), a keeper for every back alley (小巷管家) and old compound
(楼院长), and each street shop answering for its frontage (门前三包) with the stars of its
latest visit."""

import json

from sqlalchemy import Connection, text

from geoapi.responsibility import queries as responsibility

LEADERS = [
    "王建国（副区长）",
    "李红梅（区委常委）",
    "张志强（副区长）",
    "刘海涛（区政协副主席）",
    "陈晓东（区人大副主任）",
    "杨丽华（副区长）",
    "赵明远（区委常委）",
    "孙立新（副区长）",
    "周文斌（区政府党组成员）",
]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"]
GIVEN = ["建华", "秀英", "海燕", "志刚", "丽娟", "国庆", "桂兰", "卫东", "春梅", "永强"]
KEEPERS = {"back_alley": "小巷管家", "old_compound": "楼院长", "street_shop": "店主"}

# Frontage rows carry the stars of their shop's latest scored visit (the service keeps them
# per visit), written with the row rather than updated after.
HISTORY = f"""
WITH streets AS (
  SELECT id, code, row_number() OVER (ORDER BY code) AS n FROM areas WHERE level = 'street'
)
INSERT INTO responsibilities (area_id, point_id, role, person, title, unit_code, stars)
SELECT s.id, CAST(NULL AS bigint), 'leader', split_part(l.leader, '（', 1),
       rtrim(split_part(l.leader, '（', 2), '）'), CAST(NULL AS text), CAST(NULL AS int)
  FROM streets s
  JOIN unnest(CAST(:leaders AS text[])) WITH ORDINALITY AS l(leader, n)
    ON l.n = 1 + (s.n - 1) % cardinality(CAST(:leaders AS text[]))
UNION ALL
SELECT s.id, NULL, 'unit', NULL, '包保单位', u.code, NULL
  FROM streets s JOIN units u ON u.code = 'street_' || lpad(s.n::text, 2, '0')
UNION ALL
SELECT CAST(NULL AS int), p.id,
       CASE p.category WHEN 'street_shop' THEN 'frontage' ELSE 'keeper' END,
       (CAST(:surnames AS text[]))[1 + abs(hashtext(p.code)) % :surname_count]
       || (CAST(:given AS text[]))[1 + abs(hashtext(p.code || 'g')) % :given_count],
       CAST(:titles AS jsonb)->>p.category, NULL,
       CASE p.category WHEN 'street_shop' THEN {responsibility.latest_stars("p.id")} END
  FROM points p WHERE p.category = ANY(CAST(:categories AS text[]))
"""


def assign(connection: Connection) -> int:
    """Write the demo's responsibilities; how many."""
    connection.execute(
        text(HISTORY),
        {
            "leaders": LEADERS,
            "surnames": SURNAMES,
            "given": GIVEN,
            "surname_count": len(SURNAMES),
            "given_count": len(GIVEN),
            "titles": json.dumps(KEEPERS, ensure_ascii=False),
            "categories": list(KEEPERS),
        },
    )
    return int(connection.scalar(text("SELECT count(*) FROM responsibilities")) or 0)
