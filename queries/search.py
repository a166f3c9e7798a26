"""Company and facility search: by USCC, legacy registration number or organisation code, else by name."""

from __future__ import annotations

import functools
import math
import re
import time

import psycopg

from core.errors import Invalid
from layers import fragments
from layers.factories import VISIBLE
from queries import rows
from standards import uscc

# What a search result shows of a facility; its synthetic flag covers every value shown.
SYNTHETIC = fragments.facility_synthetic(fragments.COMPANY_SYNTHETIC, fragments.USCC_SYNTHETIC,
                                         fragments.RECORDS_SYNTHETIC)
RESULT = f"""
    SELECT f.id, f.name_zh, f.name_en, f.industry, c.uscc, f.area_code, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
           f.violation_count, {SYNTHETIC} AS synthetic, f.dataset_id, d.licence
    FROM hits h JOIN facilities f ON f.id = h.id
    LEFT JOIN companies c ON c.id = f.company_id
    JOIN datasets d ON d.id = f.dataset_id
    ORDER BY h.tier, f.violation_count DESC, f.id"""

# Matches of one rank that are ranked by violation count: past this many a rank is too broad to read in full,
# and its first CAP matches are ranked instead (in name order for equal and prefix; for contains in id order
# or in the order the index lists them, see below). Each row read costs about a microsecond.
CAP = 500
# A name search whose matches are estimated at this fraction of all facilities or more walks the table in id
# order and stops at the CAP-th match (CAP / SCAN_FRACTION rows at most); rarer ones read what the indexes
# list (SCAN_FRACTION of all facilities at most).
SCAN_FRACTION = 0.03
# Grams of a query that the GIN index is asked for: the rarest, and any other in at most this fraction of
# names (intersecting with a gram of every name, like 有限, costs more than rechecking a few more rows).
RARE_GRAM = 0.01
GRAM_STATS_TTL = 600.0  # seconds between reads of the gram statistics (pg_stats)

# Name search in three ranks: the whole name equals q, the name starts with q, the name contains q; within a
# rank the facilities with more violation records first, then by id. Each rank is a query of its own that
# stops after CAP rows, so no plan reads every match of a broad query ("有限公司" is in every name):
# - equal and prefix: b-trees in pattern order (facilities_name_*_pattern) answer both;
# - contains, Chinese name: the GIN index of 1- and 2-character grams lists the names holding q's rarest
#   grams, and strpos rechecks the substring; when q is common (as the planner estimates from the gram
#   statistics) the table is walked in id order instead, up to the CAP-th match;
# - contains, English name (queries without CJK characters; lower-cased): the trigram index when q has a
#   run of 3 letters or digits, else the name must start with q (pg_trgm has no index answer for shorter).
# Each rank's LIMIT applies before the join that fetches the output columns (20 rows, not 3 x CAP).
# Facilities made from a brand's private supplier-list rows alone are never found (layers.factories.VISIBLE).
_BY_NAME = """
WITH equal AS MATERIALIZED (
    SELECT f.id, f.violation_count, 0 AS tier FROM facilities f
    WHERE (f.name_zh = %(q)s{en_equal}) AND {visible}
    LIMIT %(cap)s
), prefix AS MATERIALIZED (
    SELECT f.id, f.violation_count, 1 AS tier FROM facilities f
    WHERE (f.name_zh LIKE %(esc)s || '%%'{en_prefix}) AND {visible}
    LIMIT %(cap)s
), contains AS MATERIALIZED (
    SELECT f.id, f.violation_count, 2 AS tier FROM facilities f
    WHERE ({contains}) AND {visible}{order}
    LIMIT %(cap)s
), hits AS (
    SELECT * FROM (
        SELECT DISTINCT ON (m.id) m.id, m.tier, m.violation_count
        FROM (SELECT * FROM equal UNION ALL SELECT * FROM prefix UNION ALL SELECT * FROM contains) m
        ORDER BY m.id, m.tier
    ) u
    ORDER BY u.tier, u.violation_count DESC, u.id
    LIMIT %(limit)s
)""" + RESULT
EN_EQUAL = " OR lower(f.name_en) = lower(%(q)s)"
EN_PREFIX = " OR lower(f.name_en) LIKE lower(%(esc)s) || '%%'"
EN_CONTAINS = " OR lower(f.name_en) LIKE '%%' || lower(%(esc)s) || '%%'"
# The Chinese name holds q: by the gram index (strpos first: in a filter it is the cheap test), or by reading.
ZH_INDEXED = "(strpos(f.name_zh, %(q)s) > 0 AND name_grams(f.name_zh) @> %(grams)s::text[])"
ZH_SCANNED = "strpos(f.name_zh, %(q)s) > 0"
# For the planner's estimate of the facilities holding every gram of q (or its English substring).
ESTIMATE = "SELECT 1 FROM facilities f WHERE name_grams(f.name_zh) @> %(all_grams)s::text[]"
GRAM_STATS = """
SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
WHERE schemaname = current_schema() AND tablename = 'facilities_name_zh_grams'"""


@functools.cache
def by_name(english: bool, trigram: bool, scan: bool) -> str:
    """The name search: English name searched or not, English substring indexable or not, read or indexed."""
    en_contains = (EN_CONTAINS if trigram else EN_PREFIX) if english else ""
    return _BY_NAME.format(en_equal=EN_EQUAL if english else "", en_prefix=EN_PREFIX if english else "",
                           contains=(ZH_SCANNED if scan else ZH_INDEXED) + en_contains,
                           order="\n    ORDER BY f.id" if scan else "", visible=VISIBLE)


# Identifier matches are all exact: ranked by violation count.
_BY_ID = """
WITH hits AS (
    SELECT f.id, 0 AS tier
    FROM {source} JOIN facilities f ON f.company_id = c.id
    WHERE {where} AND {visible}
    ORDER BY f.violation_count DESC, f.id
    LIMIT %(limit)s
)""" + RESULT
BY_USCC = _BY_ID.format(source="companies c", where="c.uscc = %(code)s::bpchar", visible=VISIBLE)
BY_ALT_ID = _BY_ID.format(source="company_alt_ids a JOIN companies c ON c.id = a.company_id",
                          where="a.kind = %(kind)s AND a.value = ANY(%(codes)s)", visible=VISIBLE)

# Latency over throughput: no JIT compilation (tens of ms) and no parallel workers for name searches; random
# reads cost little more than sequential ones (the search indexes and the table are read from memory); a
# table scan starts at the start (not where another scan is), so the same query finds the same CAP rows.
# (With them, how many facilities there are, as of the last ANALYZE.)
LATENCY_SETTINGS = """
SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true),
       set_config('random_page_cost', '1.1', true), set_config('synchronize_seqscans', 'off', true),
       (SELECT reltuples FROM pg_class WHERE oid = 'facilities'::regclass)"""

# Han ideographs (with extensions and compatibility forms), CJK punctuation, kana, Hangul, full-width forms.
CJK = re.compile("[\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
                 "\U00020000-\U0003ffff]")
# A run of 3 letters or digits: enough for pg_trgm to take a trigram from a LIKE '%...%' pattern.
TRIGRAM_RUN = re.compile(r"[^\W_]{3}")


def name_grams(q: str) -> list[str]:
    """The 2-character grams of q (its only character when it has one): what a name holding q holds.

    Mirrors the SQL function name_grams of migration 0003, which also indexes every single character."""
    return sorted({q[i:i + 2] for i in range(len(q) - 1)}) or [q]


class GramStats:
    """How common each gram is (the fraction of names holding it), from ANALYZE's statistics of the index."""

    def __init__(self) -> None:
        self.freqs: dict[str, float] = {}
        self.floor = 0.0  # grams missing from the statistics are rarer than this
        self.read_at = -math.inf

    def refresh(self, conn) -> None:
        """Read the statistics again when they are older than GRAM_STATS_TTL."""
        if time.monotonic() - self.read_at < GRAM_STATS_TTL:
            return
        row = conn.execute(GRAM_STATS).fetchone()
        elems, freqs = (row[0] or [], row[1] or []) if row else ([], [])
        self.freqs = dict(zip(elems, freqs[:len(elems)], strict=True))
        self.floor = freqs[len(elems)] if len(freqs) > len(elems) else 0.0
        self.read_at = time.monotonic()

    def rarest(self, grams: list[str]) -> list[str]:
        """The grams worth asking the index for: the rarest, and the other rare ones (at most 3 in all)."""
        ranked = sorted(grams, key=lambda g: (self.freqs.get(g, self.floor / 2), g))
        return ranked[:1] + [g for g in ranked[1:3] if self.freqs.get(g, self.floor / 2) <= RARE_GRAM]


GRAMS = GramStats()


def _scan_is_cheaper(conn, params: dict, en_contains: str, facilities: float) -> bool:
    """True when q is so common that walking the table up to the CAP-th match beats the index lists.

    The planner estimates two fractions of the facilities: those holding the grams the index would be asked
    for (what the index path reads) and those holding every gram of q (independent grams assumed, so low for
    set phrases: 热电有限 is 热电 plus a suffix of every name). Walk when the first is large and the second
    is not small (a walk reads CAP / fraction rows)."""
    if facilities < CAP / SCAN_FRACTION:  # small tables: the index, always
        return False
    sql = f"{ESTIMATE}{en_contains} UNION ALL {ESTIMATE.replace('all_grams', 'grams')}{en_contains}"
    plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql, params, prepare=False).fetchone()[0][0]["Plan"]
    every, indexed = (p["Plan Rows"] / facilities for p in plan["Plans"])
    return indexed >= SCAN_FRACTION and every >= SCAN_FRACTION / 4


def searchable(q: str) -> str:
    """q, or Invalid when it holds a NUL character (PostgreSQL text cannot)."""
    if "\x00" in q:
        raise Invalid("q cannot contain NUL characters")
    return q


def like_escape(text: str) -> str:
    """`text` with LIKE's wildcards (and the escape character) escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(conn: psycopg.Connection, q: str, limit: int) -> dict:
    """Facilities by USCC (or legacy registration number / organisation code), else by name substring."""
    q = searchable(q)
    kind = uscc.kind_of(q)
    if kind == "uscc":
        try:
            code = uscc.validate(uscc.normalise(q))
        except uscc.InvalidUSCC as exc:
            raise Invalid(str(exc)) from None
        results = rows.dicts(conn, BY_USCC, {"code": code, "limit": limit})
        return {"query": q, "kind": "uscc", "results": results}
    if kind in ("registration_no", "organisation_code"):
        code = uscc.normalise(q)
        # Legacy ids are stored as published: plain, or (organisation codes) as XXXXXXXX-X.
        codes = list(dict.fromkeys([q, code] + ([f"{code[:8]}-{code[8:]}"] if len(code) == 9 else [])))
        results = rows.dicts(conn, BY_ALT_ID, {"kind": kind, "codes": codes, "limit": limit})
        if results:
            return {"query": q, "kind": kind, "results": results}
    return {"query": q, "kind": "name", "results": name_matches(conn, q, limit)}


def name_matches(conn: psycopg.Connection, q: str, limit: int) -> list[dict]:
    """Facilities whose name equals, starts with or contains q, in that order (see _BY_NAME)."""
    # Names hold no CJK characters in English, so a CJK query skips the English name altogether.
    english = not CJK.search(q)
    trigram = english and bool(TRIGRAM_RUN.search(q.lower()))
    grams = name_grams(q)
    facilities = rows.aggregate(conn, LATENCY_SETTINGS)[-1]
    GRAMS.refresh(conn)
    params = {"q": q, "esc": like_escape(q), "all_grams": grams, "grams": GRAMS.rarest(grams), "cap": CAP,
              "limit": limit}
    en_contains = (EN_CONTAINS if trigram else EN_PREFIX) if english else ""
    sql = by_name(english, trigram, _scan_is_cheaper(conn, params, en_contains, facilities))
    # prepare=False: the best plan depends on the pattern, so never reuse a generic one.
    return rows.dicts(conn, sql, params, prepare=False)
