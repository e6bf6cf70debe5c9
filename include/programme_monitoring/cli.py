"""Command line: ``python -m programme_monitoring <command>``.

Longer than 500 lines because it is the one argument parser of every command, each a few
lines of parsing, calling the package below and printing in both languages; the work itself
lives in the sub-packages.

``demo`` is the main job README.md gives: sample reports -> the three DAGs with
``dag.test()`` -> headline figures for 2014 and where every output is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from programme_monitoring.settings import EXPECTATIONS_DIR, paths


def _redacted(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return parts.geturl()


def demo(args: argparse.Namespace) -> int:
    # Keep the console readable: task output and warnings only (the full logs are in Airflow's folder).
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    from programme_monitoring.dev.samples import generate_samples, write_manifest
    from programme_monitoring.orchestration.local_runs import run_chain
    from programme_monitoring.warehouse.airflow_metadata import configure_airflow, migrate_airflow_metadata
    from programme_monitoring.warehouse.connection import warehouse_url
    from programme_monitoring.warehouse.schema import init

    where = paths()
    url = warehouse_url()
    print(f"Warehouse: {_redacted(url)}")
    if not os.environ.get("WAREHOUSE_URL"):
        from programme_monitoring.warehouse.connection import embedded_server

        print(f"  log in: {embedded_server().login_hint()}")
    init(url)
    configure_airflow()
    migrate_airflow_metadata()

    manifest = generate_samples(where.landing, seed=args.seed)
    write_manifest(manifest, where.var / "samples_manifest.json")
    print(
        f"Sample reports (synthetic): {len(manifest.good)} good and {len(manifest.bad)} planted bad "
        f"reports written to {where.landing}"
    )

    states = run_chain()
    print("DAG runs: " + ", ".join(f"{dag_id}={state}" for dag_id, state in states.items()))

    from programme_monitoring.publishing.council.editions import write_council_report
    from programme_monitoring.publishing.headline import read_headline_figures

    figures = {row["reporting_year"]: row for row in read_headline_figures()}
    _print_headline(figures.get(2014))
    council = write_council_report(2014)
    from programme_monitoring.orchestration.tasks import notify_senders_task

    answered = notify_senders_task()  # what the daily notify_senders DAG does: query letters to states
    print("\nOutputs:")
    print(f"  headline figures     {where.reports / 'headline_figures.csv'}")
    print(f"                       {where.reports / 'headline_figures.html'}")
    print(f"  Council report 2014  {council.output_dir}  (ru.pdf, en.pdf, ru.html, en.html, annex.xlsx)")
    print(f"  accepted reports     {where.archive}  (by content hash; ledger: audit.file_ledger)")
    print(f"  refused reports      {where.quarantine}  (each with a .reason.txt)")
    print(
        f"  answers to senders   {where.outbox}/<sender>/  (a receipt per file; "
        f"{len(answered['query_letters'])} query letter(s), XLSX and PDF)"
    )
    print(f"  data quality docs    {EXPECTATIONS_DIR / 'uncommitted/data_docs/local_site/index.html'}")
    print("  warehouse tables     schemas raw, audit, reference, staging, intermediate, marts")
    return 0


def _print_headline(row: dict | None) -> None:
    from programme_monitoring.publishing.labels import headline_labels

    if row is None:
        print("\nNo headline figures for 2014.")
        return
    print("\nHeadline figures for 2014 (CIS-wide, from marts.rpt_headline_figures):")
    for column, english in headline_labels("en").items():
        if column != "reporting_year":
            value = row[column]
            print(f"  {english:<80} {value if value is not None else 'not reported':>8}")


def _refused(ru: str, en: str) -> int:
    """A refusal of a command, in Russian and English, on stderr: exit status 1, no traceback."""
    print(f"{ru}\n{en}", file=sys.stderr)
    return 1


def template(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.is_dir():
        return _refused(
            f"{output} — это папка: укажите имя файла .xlsx.", f"{output} is a folder: name an .xlsx file."
        )
    if output.suffix.lower() != ".xlsx":
        return _refused(
            f"Шаблон записывается в файл .xlsx, а не в {output}.",
            f"The template is written to an .xlsx file, not {output}.",
        )
    if not output.parent.is_dir():
        return _refused(
            f"Папки {output.parent} нет: создайте её или укажите другую.",
            f"The folder {output.parent} does not exist: create it or choose another.",
        )
    from programme_monitoring.report_format.blank_template import write_blank_template

    try:
        write_blank_template(args.programme, args.year, output)
    except ValueError as error:  # the writer's refusal, already in Russian and English
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        return _refused(
            f"Не удалось записать {output}: {error.strerror}.", f"Could not write {output}: {error.strerror}."
        )
    print(f"Blank report template for {args.programme} {args.year}: {args.output}")
    return 0


def samples(args: argparse.Namespace) -> int:
    from programme_monitoring.dev.samples import generate_samples

    manifest = generate_samples(Path(args.output), seed=args.seed)
    print(f"{len(manifest.good)} good and {len(manifest.bad)} bad synthetic reports in {args.output}")
    return 0


def server(args: argparse.Namespace) -> int:
    from programme_monitoring.warehouse.connection import embedded_server

    embedded = embedded_server()
    if args.action == "stop":
        embedded.stop()
        print("Embedded PostgreSQL stopped.")
    else:  # the password stays in its file: never printed
        print(_redacted(embedded.ensure_running()))
        print(f"log in: {embedded.login_hint()}")
    return 0


def warehouse(args: argparse.Namespace) -> int:
    from programme_monitoring.warehouse.schema import init

    applied = init()
    print("Warehouse schema: " + (f"applied {', '.join(applied)}" if applied else "up to date"))
    return 0


def ingest(args: argparse.Namespace) -> int:
    from programme_monitoring.orchestration.tasks import ingest_task

    summary = ingest_task(files=args.files, dry_run=args.dry_run, sender=args.sender)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 1 if summary["rejected"] else 0


def query_letters(args: argparse.Namespace) -> int:
    import psycopg

    from programme_monitoring.intake.receipts import UnknownSenderError
    from programme_monitoring.publishing.letters.queries import issue_query_letters

    try:
        letters = issue_query_letters(sender=args.sender, year=args.year)
    except UnknownSenderError as error:
        return _refused(
            f"Неизвестный отправитель {args.sender!r}: укажите отправителя из реестра (seed senders).",
            str(error),
        )
    except ValueError as error:
        return _refused("Запросы направляются отправителям государств, а не секретариату.", str(error))
    except psycopg.errors.UndefinedTable:
        return _refused(
            "Витрины ещё не построены: сначала выполните bin/demo или transform.",
            "The marts are not built yet: run bin/demo or transform first.",
        )
    for letter in letters:
        state = "new" if letter.new else "unchanged"
        print(f"{letter.number} ({state}, {len(letter.items)} item(s)):")
        for path in letter.files.values():
            print(f"  {path}")
    if not letters:
        print("No open findings: no query letter / Открытых замечаний нет: запрос не направляется")
    return 0


def reminders(args: argparse.Namespace) -> int:
    from programme_monitoring.publishing.letters.reminders import send_reminders

    for r in send_reminders(days=args.days, sender=args.sender):
        print(f"{r.path} ({r.programme_code} {r.reporting_year}, due {r.report_deadline})")
    return 0


def quality(args: argparse.Namespace) -> int:
    from programme_monitoring.quality.suites import write_suites

    write_suites()
    print(f"Suites written under {EXPECTATIONS_DIR}")
    return 0


def council_report(args: argparse.Namespace) -> int:
    import psycopg

    from programme_monitoring.publishing.council.editions import (
        LANGUAGES,
        NoFiguresError,
        write_council_report,
    )

    languages = (args.lang,) if args.lang else LANGUAGES
    try:
        if args.approved_only:  # the approved versions' figures, built aside into marts_approved
            from programme_monitoring.warehouse.transform import build_warehouse

            build_warehouse(approved_only=True)
        edition = write_council_report(
            args.year, languages=languages, approved_only=args.approved_only, publish=args.publish
        )
    except NoFiguresError as error:
        return _refused(error.ru, error.en)
    except psycopg.errors.UndefinedTable:
        return _refused(
            "Витрины ещё не построены: сначала выполните bin/demo или transform.",
            "The marts are not built yet: run bin/demo or transform first.",
        )
    except psycopg.OperationalError as error:
        return _refused(
            f"Хранилище недоступно: {str(error).splitlines()[0]}",
            f"The warehouse cannot be reached: {str(error).splitlines()[0]}",
        )
    except OSError as error:
        return _refused(
            f"Не удалось записать доклад: {error.strerror} ({error.filename}).",
            f"Could not write the report: {error.strerror} ({error.filename}).",
        )
    print(
        f"Доклад Совету за {args.year} год (данные на {edition.as_of}) / "
        f"Council report {args.year} (figures as of {edition.as_of}):"
    )
    for name, path in edition.files.items():
        print(f"  {name:<12} {path}")
    if also := [lang for lang in LANGUAGES if f"{lang}.pdf" in edition.files and lang not in languages]:
        print(
            f"  также на языке {', '.join(also)}: он был в заменяемой редакции, а в папке одна редакция / "
            f"also in {', '.join(also)}: the edition it replaces had it, and the folder holds one edition"
        )
    if edition.previous_edition:
        print(
            f"  {edition.revision_summary('ru')} с редакции от {edition.previous_edition} / "
            f"{edition.revision_summary('en')} since the edition of {edition.previous_edition}"
        )
    if edition.published:
        print(
            f"  опубликован: {args.year} год закрыт (следующие версии задерживаются до снятия блокировки) / "
            f"published: {args.year} is locked (later versions are held until an approver unlocks it)"
        )
    return 0


def _approval_command(action) -> int:
    """Run an approval command; a refusal (nothing written) in Russian and English, exit 1."""
    import psycopg

    from programme_monitoring.warehouse.approvals import ApprovalError

    try:
        print(action())
    except ApprovalError as error:
        return _refused(error.ru, error.en)
    except psycopg.OperationalError as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return _refused(f"Хранилище недоступно: {first}", f"The warehouse cannot be reached: {first}")
    return 0


def approve(args: argparse.Namespace) -> int:
    from programme_monitoring.warehouse.approvals import approve as record

    def run() -> str:
        v = record(args.state, args.programme, args.year, args.note, version=args.version)
        what = f"{args.state.upper()} {args.programme.upper()} {args.year}"
        return f"approved: {what} version {v.report_version} ({v.report_id})"

    return _approval_command(run)


def approvals(args: argparse.Namespace) -> int:
    from programme_monitoring.warehouse import approvals as history

    if args.action == "revoke":
        if not (args.state and args.programme and args.year):
            return _refused("Укажите STATE PROGRAMME YEAR.", "Give STATE PROGRAMME YEAR.")

        def run() -> str:
            report = history.revoke(args.state, args.programme, args.year, args.note or "")
            return f"approval revoked: {args.state.upper()} {args.programme.upper()} {args.year} ({report})"

        return _approval_command(run)

    def listing() -> str:
        rows = history.list_approvals(args.year)
        return (
            "\n".join(
                f"{r['decided_at']:%Y-%m-%d %H:%M} {r['kind']:<8} {r['action']:<8} {r['reporting_year']} "
                f"{r['state_code'] or '':<2} {r['programme_code'] or '':<3} {r['report_id'] or '':<64} "
                f"{r['decided_by']}: {r['note'] or ''}"
                for r in rows
            )
            or "no approvals or period locks recorded / утверждений и блокировок нет"
        )

    return _approval_command(listing)


def unlock(args: argparse.Namespace) -> int:
    from programme_monitoring.warehouse.approvals import unlock as record

    def run() -> str:
        released = record(args.year, args.reason, state=args.state, programme=args.programme)
        what = f"{args.state.upper()} {args.programme.upper()} {args.year}" if args.state else str(args.year)
        return (
            f"unlocked: {what}; "
            + (
                f"{len(released)} held version(s) put in force"
                if args.state
                else "held versions put in force"
            )
            + "; run transform to rebuild the marts"
        )

    return _approval_command(run)


def access(args: argparse.Namespace) -> int:
    from programme_monitoring.warehouse.access import apply_access

    summary = apply_access()
    print(
        f"Access applied: {len(summary['roles_created'])} role(s) created, row-level security on "
        f"{len(summary['rls_tables'])} mart table(s), {len(summary['security_invoker_views'])} "
        "security-invoker view(s)"
    )
    return 0


def urs_ingest(args: argparse.Namespace) -> int:
    from programme_monitoring.orchestration.tasks import NoDataYet, urs_ingest_task
    from programme_monitoring.urs.extract import UrsRekeyError
    from programme_monitoring.urs.pseudonym import UrsKeyError

    try:
        summary = urs_ingest_task(files=args.files, rekey=args.rekey)
    except (NoDataYet, UrsKeyError, UrsRekeyError) as error:  # each message "English / русский"
        print(f"refused / отклонено: {error}")
        return 1
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 1 if summary["rejected"] else 0


def unodc_ingest(args: argparse.Namespace) -> int:
    from programme_monitoring.orchestration.tasks import unodc_ingest_task

    summary = unodc_ingest_task(files=args.files)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 1 if summary["rejected"] else 0


def transform(args: argparse.Namespace) -> int:
    from programme_monitoring.warehouse.transform import NOTHING_CHANGED, build_warehouse

    published = build_warehouse(
        as_of=args.as_of, target_path=args.target_path, full_refresh=args.full_refresh
    )
    print(published if published == NOTHING_CHANGED else f"published {published}")
    return 0


def dbt_docs(args: argparse.Namespace) -> int:
    from programme_monitoring.settings import DBT_PROJECT_DIR
    from programme_monitoring.warehouse.dbt_process import run_dbt

    # --static: one self-contained page (manifest and catalogue inside) that opens from disk.
    run_dbt("docs", "generate", "--static")
    print(f"dbt documentation (opens from disk): {DBT_PROJECT_DIR / 'target' / 'static_index.html'}")
    return 0


def findings(args: argparse.Namespace) -> int:
    """findings list|show|review|explain: the review of validation findings (docs/finding_reviews.md)."""
    import psycopg

    from programme_monitoring.warehouse import finding_reviews as reviews

    try:
        if args.action == "list":
            rows = reviews.list_findings(
                year=args.year, state=args.state, programme=args.programme, status=args.status, rule=args.rule
            )
            print(reviews.list_text(rows))
        elif args.action == "show":
            print(reviews.detail_text(reviews.show_finding(args.finding_id.strip().lower())))
        elif args.action == "review":
            reviews.review_finding(args.finding_id.strip().lower(), args.status, args.note)
            print(reviews.detail_text(reviews.show_finding(args.finding_id.strip().lower())))
        else:
            from programme_monitoring.intake.explanations import outcome_text, take_explanations

            outcome = take_explanations(Path(args.file), args.sender, archive=False)
            print(outcome_text(outcome))
            return 1 if outcome.refused_en or outcome.recorded < len(outcome.lines) else 0
    except reviews.ReviewRefused as error:
        ru, _, en = str(error).partition(" / ")
        return _refused(ru, en or ru)
    except psycopg.errors.InsufficientPrivilege:
        return _refused(
            "У этой роли нет права читать замечания (нужна роль pm_reviewer или pm_auditor).",
            "This role may not read the findings (it needs pm_reviewer or pm_auditor).",
        )
    except psycopg.errors.UndefinedTable:
        return _refused(
            "Хранилище не готово: выполните warehouse init и transform.",
            "The warehouse is not ready: run warehouse init and transform.",
        )
    return 0


def airflow(args: argparse.Namespace) -> int:
    """Run any Airflow command with this project's settings (e.g. ``airflow standalone``)."""
    from programme_monitoring.warehouse.airflow_metadata import configure_airflow

    configure_airflow()
    executable = Path(sys.executable).with_name("airflow")
    os.execv(executable, [str(executable), *args.airflow_args])


def _programme_code(text: str) -> str:
    """A programme code of the seed; read only when a command asks for one (pandas is slow to import)."""
    from programme_monitoring.reference import load_reference

    codes = sorted(load_reference().programme_codes)
    if text.strip().upper() not in codes:
        raise argparse.ArgumentTypeError(f"unknown programme {text!r}: choose from {', '.join(codes)}")
    return text.strip().upper()


def _year(text: str) -> int:
    """A reporting year: four digits."""
    if not text.strip().isdigit() or len(text.strip()) != 4:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year (four digits, e.g. 2014)")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="programme_monitoring", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("demo", help="run the whole chain on synthetic sample reports")
    p.add_argument("--seed", type=int, default=2014)
    p.set_defaults(handler=demo)

    p = commands.add_parser("template", help="write a blank XLSX report template")
    p.add_argument("--programme", required=True, type=_programme_code, help="THB, IM or CR")
    p.add_argument("--year", required=True, type=_year)
    p.add_argument("--output", required=True, help="the .xlsx file to write (its folder must exist)")
    p.set_defaults(handler=template)

    p = commands.add_parser("samples", help="write synthetic sample reports to a folder")
    p.add_argument("--output", required=True)
    p.add_argument("--seed", type=int, default=2014)
    p.set_defaults(handler=samples)

    p = commands.add_parser("server", help="start, show or stop the embedded PostgreSQL")
    p.add_argument("action", choices=["start", "url", "stop"])
    p.set_defaults(handler=server)

    p = commands.add_parser("warehouse", help="create or upgrade the raw and audit schemas")
    p.add_argument("action", choices=["init"])
    p.set_defaults(handler=warehouse)

    p = commands.add_parser(
        "ingest", help="ingest the landing area (or the given files) once, without Airflow"
    )
    p.add_argument("files", nargs="*", help="files to ingest instead of the landing area")
    p.add_argument(
        "--dry-run", action="store_true", help="validate and print the import summaries; load or move nothing"
    )
    p.add_argument(
        "--sender",
        help="who sent the files, as in the sender registry (seed senders: 'kz', 'am', ..., 'secretariat'); "
        "needed for files outside a sender's landing folder",
    )
    p.set_defaults(handler=ingest)

    p = commands.add_parser(
        "query-letters",
        help="write each state's query letter on its open findings into its outbox (XLSX, PDF)",
    )
    p.add_argument("--sender", help="one sender of the registry (seed senders: 'kz', 'am', ...)")
    p.add_argument("--year", type=_year, help="findings of this reporting year only")
    p.set_defaults(handler=query_letters)

    p = commands.add_parser(
        "reminders", help="remind senders of reports due within --days days and not received yet"
    )
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--sender", help="one sender of the registry")
    p.set_defaults(handler=reminders)

    p = commands.add_parser("write-suites", help="rewrite the Great Expectations suites under expectations/")
    p.set_defaults(handler=quality)

    p = commands.add_parser("council-report", help="render the yearly report to the Council")
    p.add_argument("--year", required=True, type=_year)
    p.add_argument(
        "--lang",
        choices=["ru", "en"],
        help="one language (default: both); those of the edition it replaces are rendered again too",
    )
    p.add_argument(
        "--approved-only",
        action="store_true",
        help="figures of the approved report versions only (builds marts_approved first)",
    )
    p.add_argument(
        "--publish", action="store_true", help="publish the edition: lock its year (later versions are held)"
    )
    p.set_defaults(handler=council_report)

    p = commands.add_parser("approve", help="approve the version in force of a state's report (pm_approver)")
    p.add_argument("state", help="ISO2 code, e.g. KZ")
    p.add_argument("programme", help="THB, IM or CR")
    p.add_argument("year", type=_year)
    p.add_argument("--version", help="the report id (file SHA-256, or its first 8+ characters) to approve")
    p.add_argument("--note", required=True)
    p.set_defaults(handler=approve)

    p = commands.add_parser("approvals", help="list approvals and period locks, or revoke an approval")
    p.add_argument("action", choices=["list", "revoke"])
    p.add_argument("state", nargs="?")
    p.add_argument("programme", nargs="?")
    p.add_argument("year", nargs="?", type=_year)
    p.add_argument("--year", dest="year", type=_year, help="list: one year only")
    p.add_argument("--note", help="revoke: the reason")
    p.set_defaults(handler=approvals)

    p = commands.add_parser(
        "unlock", help="unlock a locked year, or one report's held versions (pm_approver)"
    )
    p.add_argument("year", type=_year)
    p.add_argument("--reason", required=True)
    p.add_argument("--state", help="with --programme: release this report's held versions only")
    p.add_argument("--programme")
    p.set_defaults(handler=unlock)

    p = commands.add_parser("access", help="create the roles and apply grants and row-level security")
    p.add_argument("action", choices=["apply"])
    p.set_defaults(handler=access)

    p = commands.add_parser(
        "urs-ingest", help="pseudonymise and load URS extracts (the given files, or the URS landing area)"
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="URS extract CSVs (docs/urs_extract_format.md)")
    p.add_argument(
        "--rekey",
        action="store_true",
        help="re-pseudonymise with the current key: the FILEs must include every loaded extract",
    )
    p.set_defaults(handler=urs_ingest)

    p = commands.add_parser(
        "unodc-ingest", help="load UNODC GLOTIP releases (the given files, or var/external/unodc/)"
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="GLOTIP export workbooks (.xlsx)")
    p.set_defaults(handler=unodc_ingest)

    p = commands.add_parser(
        "transform", help="build, test and publish the marts (what the transform DAG runs)"
    )
    p.add_argument(
        "--as-of", help="rebuild the figures as they stood then, into *_as_of (e.g. 2016-03-01 00:00:00+00)"
    )
    p.add_argument("--full-refresh", action="store_true", help="rebuild the incremental tables from scratch")
    p.add_argument("--target-path", type=Path, help="dbt's target folder (default dbt_project/target)")
    p.set_defaults(handler=transform)

    p = commands.add_parser("dbt-docs", help="generate the dbt documentation site (models, columns, lineage)")
    p.set_defaults(handler=dbt_docs)

    from programme_monitoring.warehouse.finding_reviews import STATUSES

    p = commands.add_parser("findings", help="list, show and review validation findings; take explanations")
    actions = p.add_subparsers(dest="action", required=True)
    q = actions.add_parser("list", help="findings with their review status")
    q.add_argument("--year", type=_year)
    q.add_argument("--state", type=lambda t: t.strip().upper(), help="ISO2 code, e.g. KZ")
    q.add_argument("--programme", type=lambda t: t.strip().upper(), help="THB, IM or CR")
    q.add_argument("--status", choices=STATUSES)
    q.add_argument("--rule", help="rule code, e.g. year_over_year_jump")
    q = actions.add_parser("show", help="a finding: its rows, values, messages and full history")
    q.add_argument("finding_id")
    q = actions.add_parser("review", help="record a decision (as the warehouse role you connect as)")
    q.add_argument("finding_id")
    q.add_argument("--status", required=True, help=", ".join(STATUSES))
    q.add_argument("--note", help="needed for explained, confirmed_error and dismissed")
    q = actions.add_parser(
        "explain", help="record a sender's explanations file (docs/finding_explanations.md)"
    )
    q.add_argument("file")
    q.add_argument("--sender", required=True, help="the sender, as in the sender registry (e.g. kz)")
    p.set_defaults(handler=findings)

    p = commands.add_parser("airflow", help="run an Airflow command with the project's settings")
    p.add_argument("airflow_args", nargs=argparse.REMAINDER)
    p.set_defaults(handler=airflow)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
