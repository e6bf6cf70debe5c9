"""The one way the publications build HTML: Jinja templates in ``publishing/templates/``.

Autoescaping is on for every template and an undefined name is an error, so a value is
never written unescaped and a missing one never becomes an empty cell silently. The
templates get Babel's formatting (``programme_monitoring.publishing.formatting``) as
filters: ``{{ v | count(lang) }}`` and ``{{ v | year }}``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from programme_monitoring.publishing import formatting

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@cache
def _environment():
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(count=formatting.count, year=formatting.year)
    return environment


def render(template: str, **context) -> str:
    """The named template of ``publishing/templates/`` rendered with ``context``."""
    return _environment().get_template(template).render(**context)
