"""The admin page, for administrators only (the admin group; everyone, on a server without sign-in, which
listens on loopback only):

    GET  /admin                  the page: the index per folder and type, the groups (their source and members),
                                 the last ingest and its failed
                                 files, the questions the documents did not answer, recent answers whose
                                 reply was not shown, the latest feedback, and a button that starts an ingest
    GET  /admin/summary          the same as JSON
    POST /admin/ingest           start an ingest in the background (409 while one runs)
    GET  /admin/ingest           its progress and, once finished, its report

Anyone else gets 403. The page is plain HTML with its style and its small
script inline: it loads nothing else.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from chatbot import Admin, IngestStatus

from .errors import ERRORS, ErrorResponse, error_response
from .i18n import TEXT, browser_language
from .markup import back_link, html_page

STYLE = """
body { font-family: system-ui, "Apple SD Gothic Neo", "Malgun Gothic", sans-serif; max-width: 70em;
       margin: 0 auto; padding: 16px 20px 40px; color: #1f2937; background: #fff; line-height: 1.5; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 28px; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
button { padding: 7px 16px; border: 0; border-radius: 6px; background: #c2410c; color: #fff; font-weight: 600;
         cursor: pointer; }
button:disabled { background: #6b7280; cursor: default; }
progress { width: 100%; height: 14px; }
.error { background: #fee2e2; color: #991b1b; padding: 6px 10px; border-radius: 6px; }
a { color: #1d4ed8; }
"""

RATING_MARKS = {"up": "👍", "down": "👎"}

# Polls the ingest while it runs, and reloads the page (with its new report) once it ends.
SCRIPT = """
const words = JSON.parse(document.getElementById('words').textContent);
const button = document.getElementById('start-ingest'), line = document.getElementById('ingest-progress'),
      bar = document.getElementById('ingest-bar');
async function poll() {
  const status = await (await fetch('/admin/ingest')).json();
  if (status.state === 'running') {
    button.disabled = true; bar.hidden = false; bar.max = Math.max(status.total, 1); bar.value = status.done;
    line.textContent = words.running.replace('{done}', status.done).replace('{total}', status.total)
      .replace('{started}', status.started).replace('{file}', status.file || '…');
    setTimeout(poll, 1000);
  } else if (sessionStorage.getItem('ingest-started')) {
    sessionStorage.removeItem('ingest-started'); location.reload();
  }
}
button.addEventListener('click', async () => {
  const reply = await fetch('/admin/ingest', {method: 'POST'});
  if (reply.status === 409) { line.textContent = words.already; }
  sessionStorage.setItem('ingest-started', '1');
  poll();
});
poll();
"""


def router(admin: Admin) -> APIRouter:
    routes = APIRouter(prefix="/admin", tags=["admin"], responses={
        **ERRORS, 403: {"model": ErrorResponse, "description": "Not an administrator."}})

    @routes.get("", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request, lang: str | None = Query(None, pattern="^(en|ko)$")) -> Response:
        code = lang or browser_language(request.headers.get("accept-language"))
        if not _is_admin(request):
            refusal = f"<p class='error'>{html.escape(TEXT[code]['admin_forbidden'])}</p>"
            return html_page(code, TEXT[code]["admin"], STYLE, refusal, status=403)
        return html_page(code, TEXT[code]["admin"], STYLE, _body(admin, code))

    @routes.get("/summary")
    def summary(request: Request) -> Response:
        """What the admin page shows: the index per folder and type, the groups, the last ingest, the
        questions not found, recent answers whose reply was not shown, and the background ingest's state."""
        if not _is_admin(request):
            return _forbidden()
        gaps, unsupported = admin.audit_review()
        return JSONResponse({"index": [asdict(row) for row in admin.index()], "last_ingest": admin.last_ingest(),
                             "groups": [asdict(row) for row in admin.groups()],
                             "not_found": [asdict(gap) for gap in gaps],
                             "unsupported": unsupported, "feedback": admin.feedback(),
                             "ingest": asdict(admin.ingest.status())})

    @routes.post("/ingest", status_code=202,
                 responses={409: {"model": ErrorResponse, "description": "An ingest is running already."}})
    def start(request: Request) -> Response:
        """Start an ingest in the background (python -m ingest): 202 with its state, 409 while one runs."""
        if not _is_admin(request):
            return _forbidden()
        if not admin.ingest.start():
            return error_response(409, "ingest_running", "an ingest is running already; wait for it to end")
        return JSONResponse(asdict(admin.ingest.status()), status_code=202)

    @routes.get("/ingest")
    def progress(request: Request) -> Response:
        """The background ingest: state, files done / started / total, the file being read, its report."""
        if not _is_admin(request):
            return _forbidden()
        return JSONResponse(asdict(admin.ingest.status()))

    return routes


def _is_admin(request: Request) -> bool:
    return request.state.reader.sees_all


def _forbidden() -> JSONResponse:
    return error_response(403, "forbidden", "only administrators (the admin group) may do this")


def _body(admin: Admin, code: str) -> str:
    words = TEXT[code]
    gaps, unsupported = admin.audit_review()
    return "".join([
        f"<p>{back_link(words)}</p>",
        f"<h2>{html.escape(words['admin_index'])}</h2>", _index_table(admin, words),
        f"<h2>{html.escape(words['admin_groups'])}</h2>",
        _table([words["admin_group"], words["admin_source"], words["admin_members"]],
               [[row.group, row.source, row.members] for row in admin.groups()], words, "groups", numeric={2}),
        f"<h2>{html.escape(words['admin_ingest'])}</h2>", _ingest_section(admin.last_ingest(), admin.ingest.status(),
                                                                         words),
        f"<h2>{html.escape(words['admin_gaps'])}</h2>",
        _table([words["admin_question"], words["admin_asked"], words["admin_last_asked"]],
               [[gap.question, gap.asked, gap.last] for gap in gaps], words, "gaps", numeric={1}),
        f"<h2>{html.escape(words['admin_unsupported'])}</h2>",
        _table([words["admin_time"], words["admin_user"], words["admin_question"], words["admin_reply"],
                words["admin_path"]],
               [[e["time"], e["user"], e["question"], e["reply"], e["path"]] for e in unsupported],
               words, "unsupported"),
        f"<h2>{html.escape(words['admin_feedback'])}</h2>",
        _table([words["admin_time"], words["admin_user"], words["admin_question"], words["export_answer"],
                words["admin_rating"], words["admin_comment"], words["admin_correction"]],
               [[f["time"], f["user"], f["question"], f["answer"], RATING_MARKS.get(f["rating"], ""), f["comment"],
                 f["correction"]] for f in admin.feedback()], words, "feedback"),
    ])


def _index_table(admin: Admin, words: dict[str, str]) -> str:
    rows = admin.index()
    body = [[row.folder, row.type, row.documents, row.chunks] for row in rows]
    if rows:
        body.append([words["admin_total"], "", sum(r.documents for r in rows), sum(r.chunks for r in rows)])
    return _table([words["admin_folder"], words["admin_type"], words["admin_documents"], words["admin_chunks"]],
                  body, words, "index", numeric={2, 3})


def _ingest_section(last: dict | None, status: IngestStatus, words: dict[str, str]) -> str:
    script_words = {"running": words["admin_running"], "already": words["admin_already"]}
    parts = [f"<p><button id='start-ingest' type='button'>{html.escape(words['admin_start'])}</button></p>",
             "<progress id='ingest-bar' hidden></progress><p id='ingest-progress' role='status' aria-live='polite'>"
             "</p>"]
    if status.state == "failed":
        parts.append(f"<p class='error' id='ingest-error'>"
                     f"{html.escape(words['admin_failed_run'].format(error=status.error))}</p>")
    if last is None:
        parts.append(f"<p id='last-ingest'>{html.escape(words['admin_never'])}</p>")
    else:
        report = last["report"]
        parts.append("<p id='last-ingest'>" + html.escape(words["admin_last"].format(
            finished=last["finished_at"], added=report["added"], updated=report["updated"], removed=report["removed"],
            unchanged=report["unchanged"], failed=len(report["failed"]), chunks=report["chunks_total"],
            seconds=report["seconds"])) + "</p>")
        if report["failed"]:
            parts.append(f"<h3>{html.escape(words['admin_failed_files'])}</h3>")
            parts.append(_table([words["admin_file"], words["admin_reason"]],
                                [[f["path"], f["error"]] for f in report["failed"]], words, "failed-files"))
    # "</" cannot end the JSON's <script> early: "<" is escaped the JSON way.
    json_words = json.dumps(script_words, ensure_ascii=False).replace("<", "\\u003c")
    parts.append(f"<script type='application/json' id='words'>{json_words}</script><script>{SCRIPT}</script>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list], words: dict[str, str], table_id: str,
           numeric: set[int] = frozenset()) -> str:
    if not rows:
        return f"<p id='{table_id}'>{html.escape(words['admin_none'])}</p>"
    head = "".join(f"<th scope='col'{' class=n' if n in numeric else ''}>{html.escape(h)}</th>"
                   for n, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{' class=n' if n in numeric else ''}>{html.escape(str(cell))}</td>"
                                    for n, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table id='{table_id}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
