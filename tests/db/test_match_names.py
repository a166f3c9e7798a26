"""list_match_name (migration 0023) gives the same names as 0019's single expression, as supply.matching and as
the column path of bulk loads (ingest.match_names)."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from ingest import match_names
from supply.matching import normalise_name

pytestmark = pytest.mark.db

OLD = (r"btrim(regexp_replace(regexp_replace(lower(s), '(股份有限公司|有限责任公司|有限公司|分公司|集团|公司|厂|"
       r"co\.?,?\s*ltd\.?|company|limited|ltd\.?|inc\.?|corporation|corp\.?|group|factory|llc)', '', 'g'), "
       r"'[[:punct:][:space:]（）()，、·]+', ' ', 'g'))")
# Pieces that make and break legal forms across the two alphabets ("co有限公司ltd", "有限ltd公司", "公集团司").
PIECES = ["公司", "公", "司", "有限", "股份", "责任", "分", "集团", "集", "团", "厂", "中", "水泥", "co", "Co", "CO",
          "c", "o", ".", ",", " ", "\u3000", "ltd", "LTD", "l", "td", "limited", "inc", "INC", "corp", "oration",
          "company", "group", "factory", "llc", "（", "）", "(", ")", "，", "、", "·", "-", "a", "Z", "9", "_"]


def test_same_names_as_the_single_expression(conn):
    rng = random.Random(20261130)
    names = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 9))) for _ in range(20_000)]
    names += ["北京水泥厂有限公司", "Beijing Cement Co., Ltd.", "co有限公司ltd", "有限ltd公司", "公集团司", "", None]
    rows = conn.execute(f"SELECT s, list_match_name(s), {OLD} FROM unnest(%s::text[]) AS s", (names,)).fetchall()
    differ = [(s, new, old) for s, new, old in rows if new != old]
    assert not differ, differ[:10]
    # both kinds of legal form in one name take the whole expression, and they occur in the sample
    assert sum(1 for s in names if s and "公司" in s and "co" in s.lower()) > 100
    # and the Python twin the list matcher applies to uploaded rows agrees on real names
    for s, new, _ in rows[-7:-1]:
        assert normalise_name(s) == new


def test_the_trigger_keeps_the_match_names(conn):
    """Migration 0029: plain columns, set from the names at each insert and at each update naming a name column
    (or a match column: they cannot be set to anything else); other updates leave them alone."""
    fid = conn.execute("""INSERT INTO facilities (dataset_id, ext_id, name_zh, name_en, industry, geom)
                          VALUES ('synthetic-demo', 'match-trigger', '北京水泥厂有限公司',
                                  'Beijing Cement Co., Ltd.', 'cement', ST_SetSRID(ST_MakePoint(116.4, 39.9), 4326))
                          RETURNING id""").fetchone()[0]

    def names():
        return conn.execute("SELECT match_zh, match_en FROM facilities WHERE id = %s", (fid,)).fetchone()

    assert names() == ("北京水泥", "beijing cement")
    conn.execute("UPDATE facilities SET name_en = 'Tianjin Steel Group' WHERE id = %s", (fid,))
    assert names() == ("北京水泥", "tianjin steel")
    conn.execute("UPDATE facilities SET match_zh = 'forged', match_en = 'forged' WHERE id = %s", (fid,))
    assert names() == ("北京水泥", "tianjin steel")
    conn.execute("UPDATE facilities SET violation_count = 3 WHERE id = %s", (fid,))
    assert names() == ("北京水泥", "tianjin steel")
    conn.rollback()


def test_the_column_path_gives_the_functions_names(conn):
    """ingest.match_names over whole columns: the function's value for every name it computes (fuzzed from legal
    forms, their pieces, every printable ASCII character and other scripts), null for the others."""
    rng = random.Random(20261201)
    pieces = PIECES + [chr(c) for c in range(32, 127)] + ["Ü", "é", "\t", "—", "《", "Ａ", "\u3400"]
    names = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(30_000)]
    names += match_names.SAMPLE + [None]
    theirs = [r[0] for r in conn.execute("SELECT list_match_name(s) FROM unnest(%s::text[]) WITH ORDINALITY AS t(s, i) "
                                         "ORDER BY i", (names,)).fetchall()]
    mine = match_names.names(pa.array(names, pa.string())).to_pylist()
    differ = [(s, m, t) for s, m, t in zip(names, mine, theirs, strict=True) if m is not None and m != t]
    assert not differ, differ[:10]
    computed = sum(m is not None for m in mine)
    assert 10_000 < computed < len(names)  # most names computed here, those with other characters left
    assert mine[-1] is None and match_names.agrees(conn)
