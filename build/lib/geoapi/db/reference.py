"""Reference vocabularies seeded by the initial migration (DESIGN §2); extensible as rows."""

# (code, name_zh, name_en)
CATEGORIES = (
    ("market", "集贸市场/农贸市场", "Market"),
    ("back_alley", "背街小巷", "Back alley"),
    ("old_compound", "老旧小区", "Old residential compound"),
    ("parking", "停车位/停车路段", "Parking space or road segment"),
    ("public_toilet", "公厕", "Public toilet"),
    ("street_shop", "沿街商铺", "Street-front shop"),
    ("school_surroundings", "校园周边", "School surroundings"),
    ("construction_site", "建筑工地", "Construction site"),
    ("station", "站点周边", "Station surroundings"),
    ("practice_station", "新时代文明实践所/站", "Civilization practice station"),
)

# (code, name_zh, name_en, default_deadline_days)
ISSUE_TYPES = (
    ("street_vending", "占道经营", "Street vending", 1),
    ("clutter", "乱堆乱放", "Clutter", 2),
    ("illegal_building", "私搭乱建", "Illegal building", 15),
    ("illegal_ads", "小广告/野广告", "Illegal ads", 2),
    ("flying_wire_charging", "飞线充电", "Flying-wire charging", 1),
    ("illegal_parking", "乱停乱放", "Illegal parking", 1),
    ("garbage", "垃圾/卫生死角", "Garbage", 1),
    ("sewage", "路面污水", "Sewage on the road", 3),
    ("damaged_facility", "设施破损", "Damaged facility", 7),
    ("green_damage", "毁绿种菜", "Damaged green space", 7),
    ("shop_sign", "牌匾不规范", "Non-standard shop sign", 10),
    ("public_ad_damage", "公益广告破损", "Damaged public-service ad", 5),
)

# Which problem types are found at which kind of point; used to link a report to a nearby
# point and to make believable demo data.
CATEGORY_ISSUE_TYPES = {
    "market": ("street_vending", "clutter", "garbage", "sewage", "illegal_parking"),
    "back_alley": (
        "clutter",
        "illegal_building",
        "illegal_ads",
        "garbage",
        "flying_wire_charging",
        "green_damage",
    ),
    "old_compound": (
        "flying_wire_charging",
        "clutter",
        "illegal_building",
        "green_damage",
        "garbage",
        "damaged_facility",
    ),
    "parking": ("illegal_parking", "damaged_facility"),
    "public_toilet": ("garbage", "damaged_facility", "sewage"),
    "street_shop": ("street_vending", "shop_sign", "clutter", "illegal_ads"),
    "school_surroundings": ("street_vending", "illegal_parking", "illegal_ads"),
    "construction_site": ("garbage", "sewage", "public_ad_damage", "clutter"),
    "station": ("illegal_ads", "garbage", "public_ad_damage", "damaged_facility"),
    "practice_station": ("public_ad_damage", "damaged_facility"),
}
