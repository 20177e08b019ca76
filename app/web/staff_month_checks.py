"""What the month form checks before it saves anything, all at once so the editor sees every problem together:

* published figures the editor emptied (a removal investors will see): listed, to confirm with a tick
  whose value is a digest of the list, so a different set of removals needs a new confirmation;
* the correction reason, when a published row changes (or a withdrawn one comes back);
* the treasury roll-forward (computed by `app.store.queries.months.treasury_warning`).

The server enforces each; the page shows them in the error summary at the top, each linked to its field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.domain import metrics
from app.store.models import CompanyMonth, RecordStatus, SiteMonth
from app.store.queries import months as month_queries
from app.web.staff_month_form import HASHRATE_FIELDS, HASHRATE_UNITS, RowForm, plain, unit_label


@dataclass(frozen=True, slots=True)
class Removal:
    """A published figure the posted form leaves empty."""

    row_label: str
    field: str
    label: str
    old: str  # the stored value as the form shows it, with its unit
    input_id: str


def stored_for(
    row: RowForm, by_site: dict[int, SiteMonth], company_row: CompanyMonth | None
) -> SiteMonth | CompanyMonth | None:
    return by_site.get(row.site.id) if row.site is not None else company_row


def published_removals(
    rows: list[RowForm], by_site: dict[int, SiteMonth], company_row: CompanyMonth | None, hashrate_unit: str
) -> list[Removal]:
    """Every published figure whose field was emptied (a whole site column emptied removes each of its figures)."""
    found: list[Removal] = []
    for row in rows:
        current = stored_for(row, by_site, company_row)
        if current is None or current.status != RecordStatus.published:
            continue
        for name in row.metric_fields:
            stored = getattr(current, name)
            if stored is None or row.values.get(name, "").strip():
                continue
            shown = stored * HASHRATE_UNITS[hashrate_unit] if name in HASHRATE_FIELDS else stored
            found.append(
                Removal(
                    row_label=row.label,
                    field=name,
                    label=metrics.METRICS[name].label,
                    old=f"{plain(shown)} {unit_label(name, hashrate_unit)}",
                    input_id=row.name(name),
                )
            )
    return found


def removals_token(removals: list[Removal]) -> str:
    """The value of the confirmation tick: it confirms exactly these removals."""
    text = "|".join(sorted(f"{r.input_id}={r.old}" for r in removals))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reason_needed(
    rows: list[RowForm],
    touched: set[str],
    by_site: dict[int, SiteMonth],
    company_row: CompanyMonth | None,
    *,
    publish: bool,
) -> bool:
    """Whether the save would correct a published row (the rule of `month_queries.is_correction`)."""
    for row in rows:
        current = stored_for(row, by_site, company_row)
        if current is None:
            continue
        if row.key not in touched and not publish:
            continue
        if row.data is None:
            changed = row.key in touched  # a field with an error: its value is unknown, but it was edited
        elif row.is_empty:
            changed = True  # the row is removed
        else:
            names = (*row.metric_fields, "note", "source_url", "is_estimate")
            changed = row.key in touched and any(getattr(current, n) != getattr(row.data, n) for n in names)
        if month_queries.is_correction(current, changed=changed, publish=publish):
            return True
    return False
