"""The match names of a large facilities file, computed over whole columns (pyarrow) as the file is staged.

`facilities.match_zh`/`match_en` are `list_match_name` of the names (migrations 0023 and 0029): lower case, the
legal forms taken out (有限公司, Co., Ltd., ...), each run of punctuation and spaces made one space, trimmed.
PostgreSQL spent 8 s of a 1.2M-facility load on them; these column operations take ~2 s of the staging client.

Only names made of printable ASCII, CJK unified ideographs and the punctuation the function names itself are
computed here: on those, lower-casing (ASCII letters only), `[[:punct:]]` and `\\s` mean the same in RE2 as in
PostgreSQL, and both regex engines take the same alternatives (each legal form is listed before any shorter one
it starts with, so leftmost-first and leftmost-longest agree). Other names stay null in the stage and the insert
computes them with the function. A load first checks this against the function on SAMPLE (`agrees`): with a
function changed since, or a locale that lower-cases ASCII otherwise (Turkish "I"), the function makes every name.
"""

from __future__ import annotations

import psycopg
import pyarrow as pa
import pyarrow.compute as pc

# The function's legal forms and punctuation (migration 0023), for RE2.
ZH = "股份有限公司|有限责任公司|有限公司|分公司|集团|公司|厂"
EN = r"co\.?,?\s*ltd\.?|company|limited|ltd\.?|inc\.?|corporation|corp\.?|group|factory|llc"
LEGAL = f"({ZH}|{EN})"
PUNCT = r"[[:punct:] （）()，、·]+"
DOMAIN = r"^[\x20-\x7e\x{4e00}-\x{9fff}（），、·]*$"
# Names whose match names must be the function's for the column path to be used (legal forms, their pieces, every
# ASCII letter and punctuation mark, the listed Chinese punctuation).
SAMPLE = ["北京水泥股份有限公司", "天津钢铁有限责任公司（滨海）", "上海分公司·一厂", "集团公司厂", "有限ltd公司",
          "co有限公司ltd", "Beijing Cement Co., Ltd.", "ACME CO.,LTD", "Foo Company Limited", "Bar Inc.", "Baz Corp.",
          "Qux Corporation", "Tianjin Steel Group", "X Factory LLC", "co . , ltd", "  Spaced   out  ", "A·B，C、D",
          "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 I", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
          "corporate cooperation", "incorporated", "", "Ürümqi Textiles Co."]


def names(col: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """list_match_name of each name, null where the name is null or not one this module computes."""
    out = pc.utf8_trim(pc.replace_substring_regex(pc.replace_substring_regex(pc.ascii_lower(col), LEGAL, ""),
                                                  PUNCT, " "), " ")
    return pc.if_else(pc.fill_null(pc.match_substring_regex(col, DOMAIN), False), out, pa.scalar(None, pa.string()))


def agrees(conn: psycopg.Connection) -> bool:
    """Whether `names` gives the database function's value for every sample name it computes."""
    theirs = conn.execute("SELECT array_agg(list_match_name(n) ORDER BY i) FROM unnest(%s::text[]) WITH ORDINALITY "
                          "AS t(n, i)", (SAMPLE,)).fetchone()
    mine = names(pa.array(SAMPLE, pa.string())).to_pylist()
    return theirs is not None and all(m is None or m == t for m, t in zip(mine, theirs[0], strict=True))
