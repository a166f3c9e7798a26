"""The event kinds of the outbox (`alert_events`, written by the triggers of migration 0015).

Other rooms publish events by inserting into `alert_events` in the transaction of their change (a trigger
or a plain INSERT), then `NOTIFY bluemap_alerts` so the worker wakes at once. Columns:

- `kind`: one of KINDS; `facility_id` (matched by facility, company, area, industry and brand links),
  `violation_id`, `station_id`, `brand_id` (list events: the brand's users only), `area_code` and `geom`
  (a WGS84 point, for events that are not about a facility: AQI, citizen reports), `payload` (jsonb shown in
  messages: for `report_published` give `report_id`, `title_zh`, `title_en`, `url` (a path such as
  `/reports/12`), `category`), `created_at`; `processed_at` is the worker's.
"""

from __future__ import annotations

KINDS = ("new_record", "status_change", "monitoring_episode", "prtr_form", "list_accepted", "aqi_threshold",
         "report_published")
# What a subscription may choose (`notice`, the service's own word to a subscription's owner, is never chosen).
DEFAULT_KINDS = ("new_record", "status_change", "monitoring_episode", "prtr_form", "list_accepted")
LABELS = {
    "new_record": ("新违规记录", "New violation record"),
    "status_change": ("记录状态变化", "Record status changed"),
    "monitoring_episode": ("在线监测超标", "Online-monitoring exceedance"),
    "prtr_form": ("污染物排放与转移（PRTR）表", "PRTR form published or corrected"),
    "list_accepted": ("供应商名单已采用", "Supplier list version accepted"),
    "aqi_threshold": ("空气质量等级升高", "Air quality category rose"),
    "report_published": ("公众举报已发布", "Citizen report published"),
    "notice": ("系统通知", "Service notice"),
}
STATUS_WORDS = {
    "open": ("未反馈", "open"), "explained": ("已反馈", "explained"), "rectified": ("已整改", "rectified"),
    "removed": ("已撤销", "removed"),
}
AQI_WORDS = {1: ("优", "excellent"), 2: ("良", "good"), 3: ("轻度污染", "lightly polluted"),
             4: ("中度污染", "moderately polluted"), 5: ("重度污染", "heavily polluted"),
             6: ("严重污染", "severely polluted")}
