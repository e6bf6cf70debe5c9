"""The Data Docs: Great Expectations' site of the validations the intake ran (``validation``).

Each run of a suite stores its result in GX's store under ``expectations/uncommitted``;
``build_data_docs`` renders the new ones into the site, and the store keeps only the results
the site's index lists (older ones move to an archive beside it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from programme_monitoring.quality.suites import DATASOURCE, context, gx
from programme_monitoring.settings import DATA_DOCS_SITE

# The validation results this process stored and has not yet rendered into the Data Docs:
# (suite, table, run id), which name the result in GX's store.
unrendered: list[tuple[str, str, Any]] = []


def build_data_docs() -> None:
    """Render the validations this process ran into the Data Docs site, and its index.

    Only the new results are rendered: rendering every stored one grew with the history of
    loads (78 s per ingest run at 3,500 stored results). The index lists the latest
    ``validation_results_limit`` (``expectations/great_expectations.yml``); older pages stay
    in the site. A site not built yet is built whole (suite pages included).
    """
    site = DATA_DOCS_SITE / "index.html"
    if site.exists() and not unrendered:
        return  # before the context: importing GX alone takes seconds
    ctx = context()
    identifiers = gx().data_context.types.resource_identifiers
    keys = [
        identifiers.ValidationResultIdentifier(
            expectation_suite_identifier=identifiers.ExpectationSuiteIdentifier(name=suite_name),
            run_id=run_id,
            batch_identifier=f"{DATASOURCE}-{table}",  # GX's id of a whole-dataframe batch
        )
        for suite_name, table, run_id in unrendered
    ]
    ctx.build_data_docs(resource_identifiers=keys if site.exists() else None)
    unrendered.clear()
    index = ctx.variables.data_docs_sites["local_site"]["site_index_builder"]
    store = Path(ctx.validation_results_store.store_backend.full_base_directory)
    archive_rendered_results(store, keep=int(index["validation_results_limit"]))


def archive_rendered_results(store: Path, keep: int) -> int:
    """Move every stored validation result but the newest ``keep`` out of GX's store, into
    ``<store>_archive/`` (same relative path); return how many were moved.

    GX lists and parses every stored result each time it builds the Data Docs, whatever it
    renders: at 8,000 results that was 8 s of every ingest run, growing with each load. It
    renders and indexes only the newest ``validation_results_limit`` of them, so the store
    now holds just those; the pages of older ones stay in the site, their findings are in
    the warehouse, and the archive keeps their JSON.
    """
    results = sorted(store.rglob("*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
    archive = store.with_name(store.name.rstrip("/") + "_archive")
    for result in results[keep:]:
        target = archive / result.relative_to(store)
        target.parent.mkdir(parents=True, exist_ok=True)
        result.replace(target)
    for folder in sorted((p for p in store.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()  # emptied run folders, deepest first
    return max(len(results) - keep, 0)
