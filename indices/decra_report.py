"""DECRA portfolio reports: XLSX (summary and per-company sheets) and PDF (reportlab, CJK by its STSong-Light
CID font), both in the reader's language, cells written as text safely (core.spreadsheet.safe_cell)."""

from __future__ import annotations

import io

from core.spreadsheet import safe_cell

LEVELS = ("high", "elevated", "moderate", "low", "unknown")


def _reasons(r: dict, words: dict) -> str:
    out = []
    for x in r["risk_reasons"]:
        label = words.get(f"decra_rule_{x['rule']}", x["rule"])
        if x.get("status") == "missing":
            out.append(f"{label}: {words.get('decra_input_missing', 'input missing')}")
        elif x.get("points") is not None:
            out.append(f"{label} ({x['points']:+g}; {x.get('value')})")
        else:
            out.append(label)
    return "; ".join(out)


def company_rows(p: dict, words: dict) -> list[list]:
    """One line per borrower: line, borrower, USCC, exposure, match, facility, industry, province, level, points,
    reasons."""
    head = [words.get(k, k) for k in ("decra_line", "decra_borrower", "decra_uscc", "decra_exposure",
                                     "decra_match", "decra_facility", "decra_industry", "decra_province",
                                     "decra_level", "decra_points", "decra_reasons")]
    lines = [head]
    for r in p["rows"]:
        lines.append([r["line"], r["borrower"], r["uscc"], r["exposure"], words.get(f"decra_outcome_{r['outcome']}"),
                      r["facility_zh"] or r["facility_en"], words.get(f"industry_{r['industry']}", r["industry"]),
                      r["province_zh"] or r["province_en"],
                      words.get(f"decra_level_{r['risk_level'] or 'unknown'}"), r["risk_points"],
                      _reasons(r, words)])
    return lines


def summary_rows(p: dict, words: dict) -> list[list]:
    """Exposure and count by risk level."""
    s = p["summary"]["level"]
    lines = [[words.get("decra_level", "level"), words.get("decra_count", "count"),
              words.get("decra_exposure", "exposure")]]
    for lv in LEVELS:
        agg = s.get(lv, {"count": 0, "exposure": 0.0})
        lines.append([words.get(f"decra_level_{lv}", lv), agg["count"], agg["exposure"]])
    total = p["summary"]["total"]
    lines.append([words.get("ghg_total", "total"), total["count"], total["exposure"]])
    return lines


def xlsx(p: dict, words: dict, meta: list[str]) -> bytes:
    """The report as an XLSX workbook."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "summary"
    for m in meta:
        ws.append([safe_cell(m)])
    for line in summary_rows(p, words):
        ws.append([safe_cell(c) for c in line])
    ws2 = wb.create_sheet("companies")
    for line in company_rows(p, words):
        ws2.append([safe_cell(c) for c in line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pdf(p: dict, words: dict, meta: list[str]) -> bytes:
    """The report as a PDF (A4 landscape): meta lines, the summary table and the per-company table."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = getSampleStyleSheet()["BodyText"].clone("cjk", fontName="STSong-Light", fontSize=8, leading=10)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), title=p["name"])
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                       ("FONTSIZE", (0, 0), (-1, -1), 8), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])

    def cells(lines: list[list]) -> list[list]:
        return [[Paragraph(_escape("" if c is None else str(c)), style) for c in line] for line in lines]

    story = [Paragraph(_escape(m), style) for m in meta] + [Spacer(1, 8)]
    story += [Table(cells(summary_rows(p, words)), style=grid), Spacer(1, 12)]
    story.append(Table(cells(company_rows(p, words)), style=grid, repeatRows=1,
                       colWidths=[28, 90, 80, 60, 45, 90, 50, 50, 40, 32, 220]))
    doc.build(story)
    return buf.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
