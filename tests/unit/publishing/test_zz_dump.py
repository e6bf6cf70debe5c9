def test_dump(edition):
    from pathlib import Path

    from programme_monitoring.publishing.council.render import build_context, render_html, write_pdf

    for lang in ("ru", "en"):
        html = render_html(build_context(edition, lang))
        Path(f"/tmp/i13_{lang}.html").write_text(html)
        write_pdf(html, Path(f"/tmp/i13_{lang}.pdf"))
