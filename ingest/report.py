"""What a loader says about a file: row errors, issues, one report per file and the rejected rows beside it."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import Invalid
from monitoring.store import Outcome

MAX_REPORTED = 1000  # issues kept in a report (all are counted)
SHOWN = 50  # issues and rejected rows a report's text names


class RowError(Invalid):
    """A row (or pushed item) that cannot be loaded: the column at fault ("" for the row) and every reason."""

    def __init__(self, column: str, reason: str, reasons: list[str] | None = None) -> None:
        super().__init__(reason)
        self.column = column
        self.reasons = reasons or [reason]

    @classmethod
    def several(cls, reasons: list[str]) -> RowError:
        """One error for a row with several problems, each reason naming its own field."""
        return cls("", "; ".join(reasons), reasons)


@dataclass(frozen=True)
class Issue:
    """One problem in a file: where it is and why."""

    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        col = f" [{self.column}]" if self.column else ""
        return f"{self.file}:{self.line}{col}: {self.reason}"


@dataclass
class FileReport:
    """What became of every row of one file, and why rows were rejected.

    Facility and violation files count valid rows and what the commit inserted; readings files count each
    row's outcome (`counts`, with the notable ones in `outcomes`). `errors` holds the problems that stop a
    commit: every bad row of a facility or violation file, the file-level problems of a readings file.
    """

    file: str
    kind: str  # what the rows are: facilities, violations or readings
    rows: int = 0
    valid: int = 0
    inserted: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)
    error_count: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    committed: bool = False
    rejects_path: Path | None = None

    def add(self, line: int, column: str, reason: str) -> None:
        """Count a problem, and keep it when fewer than MAX_REPORTED are kept."""
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(Issue(self.file, line, column, reason))

    @property
    def stored(self) -> bool:
        """Readings are stored (the caller commits) where files are committed: the same flag."""
        return self.committed

    @property
    def duplicates(self) -> int:
        """Rows already stored before (loaded twice), not counting those of facilities merged into others."""
        return self.valid - self.inserted - self.counts.get("merged", 0) if self.committed else 0

    def text(self) -> str:
        """The report as the CLI prints it."""
        lines = [self._headline()]
        lines += [f"  {issue}" for issue in self.errors[:SHOWN]]
        if self.error_count > SHOWN:
            lines.append(f"  ... and {self.error_count - SHOWN} more")
        lines += [f"  note: {n}" for n in self.notes]
        shown = [o for o in self.outcomes if o.status == "rejected"][:SHOWN]
        shown += [o for o in self.outcomes if o.status == "duplicate"][:20]
        lines += [f"  line {o.ref}: {o.status}: {o.reason}" for o in shown]
        closing = self._closing()
        lines += [closing] if closing else []
        if self.rejects_path:
            lines.append(f"rejected rows written to {self.rejects_path}")
        return "\n".join(lines)

    def _headline(self) -> str:
        c = self.counts
        if self.kind == "readings":
            return f"{self.file}: {self.rows} rows read" + (
                f", {c.get('inserted', 0)} new readings, {c.get('duplicate', 0)} duplicates, "
                f"{c.get('rejected', 0)} rejected" if c else "")
        return f"{self.file}: {self.rows} rows read, {self.valid} valid, {self.error_count} rejected"

    def _closing(self) -> str:
        if self.kind == "readings":
            hint = "; fix the rows above, or use --skip-invalid to store the valid rows"
            return "" if self.committed else "nothing stored" + (hint if self.counts.get("rejected") else "")
        if self.committed:
            merged = f", {self.counts['merged']} merged into other facilities" if self.counts.get("merged") else ""
            return f"committed: {self.inserted} new {self.kind}, {self.duplicates} already present{merged}"
        return "nothing committed: fix the rows above, or use --skip-invalid to load the valid rows"

    def as_dict(self) -> dict:
        """The report as JSON-ready data."""
        return {"file": self.file, "kind": self.kind, "rows": self.rows, "valid": self.valid,
                "inserted": self.inserted, "committed": self.committed, "rejected": self.error_count,
                "errors": [{"line": e.line, "column": e.column, "reason": e.reason} for e in self.errors]}


def write_rejects(path: Path, header: list[str], rejects: Iterable[tuple[int, str, list[str]]]) -> Path:
    """Rejected rows (line, reason, cells as read) in line order, as UTF-8 CSV beside the original file."""
    out = path.with_name(path.name + ".rejects.csv")
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["_line", "_reason", *header])
        for line, reason, cells in sorted(rejects, key=lambda r: r[0]):
            w.writerow([line, reason, *cells])
    return out
