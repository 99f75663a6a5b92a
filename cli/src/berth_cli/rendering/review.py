"""A review as an agency reads it: as text in a terminal, or as markdown (a merge-request comment).

Both show the same things in the same order: a summary line, per tenant its verdict, the before → after
of each quota field, network and member that changes, the reasons and the warnings; then the capacity
verdict and the plan of the reviewed tenants. Every sentence comes from the catalogue (vi or en); what the
input says is escaped (printable), and markdown table cells have their pipes escaped too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from berth_core.i18n import render_problem, translate
from berth_core.safe_text import printable

if TYPE_CHECKING:
    from berth_core.admission import ClassLine
    from berth_core.review import Reason
    from berth_core.review_report import Review, TenantReview

_SYMBOL = {"create": "+", "update": "~", "delete": "-"}
_STATUS = {
    "added": "review.status.added",
    "changed": "review.status.changed",
    "deleted": "review.status.deleted",
    "unchanged": "review.status.unchanged",
}


def summary(review: Review, lang: str) -> str:
    shown = {"site": review.site, "base": review.base}
    if not review.tenants:
        return translate("review.summary.none", lang, **shown)
    pending = sum(1 for t in review.tenants if t.needs_approval)
    count = len(review.tenants)
    if pending:
        return translate("review.summary.needs_approval", lang, count=count, pending=pending, **shown)
    return translate("review.summary.auto", lang, count=count, **shown)


def _verdict(tenant: TenantReview, lang: str) -> str:
    return translate(
        "review.verdict.needs_approval" if tenant.needs_approval else "review.verdict.auto", lang
    )


def _reason(reason: Reason, lang: str) -> str:
    mark = "⚠" if reason.blocking else "✓"
    return f"{mark} {translate(reason.code, lang, **reason.params)}"


def _percent(line: ClassLine) -> str:
    if line.headroom is None or not line.limit:
        return "-"
    return f"{100 * line.headroom / line.limit:.0f}%"


def _capacity_rows(review: Review) -> list[tuple[str, str, str, str, str]]:
    rows: list[tuple[str, str, str, str, str]] = []
    for line in review.admission.classes:
        if line.limit is None or line.before is None or line.after is None:
            continue
        committed = str(line.after.amount) + (
            f" + {len(line.after.unbounded)} × -1" if line.after.unbounded else ""
        )
        before = str(line.before.amount)
        moved = committed if before == committed else f"{before} → {committed}"
        rows.append((line.resource_class, moved, str(line.limit), _percent(line), line.verdict))
    return rows


def _plan_lines(review: Review) -> list[str]:
    return [
        printable(f"{_SYMBOL[c.action]} {c.key}" + (f"  ({', '.join(c.changed)})" if c.changed else ""))
        for c in review.reviewed_changes()
    ]


def _plan_counts(review: Review, lang: str) -> str:
    changes = review.reviewed_changes()
    counted = {a: sum(1 for c in changes if c.action == a) for a in _SYMBOL}
    return translate(
        "review.plan.counts",
        lang,
        create=counted["create"],
        update=counted["update"],
        delete=counted["delete"],
    )


def _cell(text: str) -> str:
    return printable(text).replace("|", "\\|") or " "


def markdown(review: Review, lang: str) -> str:
    """The merge-request comment."""
    out = [f"**berth review** · {_cell(summary(review, lang))}", ""]
    if review.offline:
        out += [f"_{translate('review.offline', lang)}_", ""]
    if review.refused:
        out += [
            f"**{translate('review.refused', lang)}** " + _cell("; ".join(review.admission.refusals())),
            "",
        ]
    for tenant in review.tenants:
        status = translate(_STATUS[tenant.status], lang)
        out += [
            f"### `{_cell(tenant.slug)}` ({_cell(tenant.agency)}) · {status} · **{_verdict(tenant, lang)}**",
            "",
        ]
        files = ", ".join(f"`{_cell(f)}`" for f in tenant.files)
        if files:
            out += [f"{translate('review.heading.files', lang)}: {files}", ""]
        rows = [*tenant.quota_rows(), *tenant.list_rows()]
        if rows:
            head = [
                translate(c, lang)
                for c in ("review.column.field", "review.column.before", "review.column.after")
            ]
            out += [f"| {' | '.join(head)} |", "| --- | --- | --- |"]
            out += [f"| {_cell(w)} | {_cell(a)} | {_cell(b)} |" for w, a, b in rows]
            out.append("")
        out += [f"- {_cell(_reason(r, lang))}" for r in tenant.reasons]
        if tenant.warnings:
            out += ["", f"{translate('review.heading.warnings', lang)}:"]
            out += [f"- {_cell(render_problem(w, lang))}" for w in tenant.warnings]
        out.append("")
    out += [f"#### {translate('review.heading.capacity', lang)} ({review.admission.source})", ""]
    columns = (
        "review.column.resource",
        "review.column.committed",
        "review.column.limit",
        "review.column.headroom",
    )
    out += [
        f"| {' | '.join(translate(c, lang) for c in columns)} | {translate('review.column.verdict', lang)} |"
    ]
    out.append("| --- | ---: | ---: | ---: | --- |")
    out += [f"| {' | '.join(_cell(v) for v in row)} |" for row in _capacity_rows(review)]
    out += ["", f"#### {translate('review.heading.plan', lang)}", ""]
    lines = _plan_lines(review)
    out += [
        f"<details><summary>{_cell(_plan_counts(review, lang))}</summary>",
        "",
        "```text",
        *lines,
        "```",
        "</details>",
    ]
    out += ["", f"sha256 `{review.plan.sha256}`"]
    if review.approvers:
        out += [
            "",
            f"{translate('review.heading.approvers', lang)}: "
            + ", ".join(_cell(a) for a in review.approvers),
        ]
    return "\n".join(out) + "\n"


def text(review: Review, lang: str) -> str:
    """The same review for a terminal."""
    out = [printable(summary(review, lang))]
    if review.offline:
        out.append(translate("review.offline", lang))
    if review.refused:
        out.append(
            translate("review.refused", lang) + " " + printable("; ".join(review.admission.refusals()))
        )
    for tenant in review.tenants:
        status = translate(_STATUS[tenant.status], lang)
        out += ["", printable(f"{tenant.slug} ({tenant.agency}): {status}, {_verdict(tenant, lang)}")]
        out += [f"  {printable(f)}" for f in tenant.files]
        for what, before, after in [*tenant.quota_rows(), *tenant.list_rows()]:
            out.append(printable(f"    {what}: {before or '-'} → {after or '-'}"))
        out += [f"  {printable(_reason(r, lang))}" for r in tenant.reasons]
        out += [f"  ! {render_problem(w, lang)}" for w in tenant.warnings]
    out += ["", f"{translate('review.heading.capacity', lang)} ({review.admission.source}):"]
    out += [
        f"  {rc}: {moved} / {limit}, headroom {pct}: {verdict}"
        for rc, moved, limit, pct, verdict in _capacity_rows(review)
    ]
    out += ["", f"{translate('review.heading.plan', lang)}: {_plan_counts(review, lang)}"]
    out += [f"  {line}" for line in _plan_lines(review)]
    if review.approvers:
        out.append(
            f"{translate('review.heading.approvers', lang)}: "
            + ", ".join(printable(a) for a in review.approvers)
        )
    return "\n".join(out) + "\n"
