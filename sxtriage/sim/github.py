"""GitHub REST API simulator: the issue endpoints sxtriage uses.

Mounted by the Sentry simulator under `/github/`, so the API base URL is
`<sim url>/github`.  Serves `POST /repos/{o}/{r}/issues`, `GET|PATCH /repos/{o}/{r}/issues/{n}`,
`GET /repos/{o}/{r}/labels` and `GET /search/issues?q=…`, with GitHub's error shapes:
401 without a valid token, 404 for an unknown repository, 422 for unknown labels.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

DEFAULT_REPOS = ("scenextras/api", "scenextras/web", "scenextras/mobile", "scenextras/search")
DEFAULT_LABELS = ("bug", "sentry", "triage", "p1", "p2", "regression", "enhancement")
DOCS = "https://docs.github.com/rest"


@dataclass
class SimIssue:
    number: int
    title: str
    body: str
    labels: list[str]
    state: str = "open"
    state_reason: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


@dataclass
class SimRepo:
    full_name: str
    labels: set[str] = field(default_factory=lambda: set(DEFAULT_LABELS))
    issues: dict[int, SimIssue] = field(default_factory=dict)


@dataclass
class GitHubState:
    token: str | None = None
    """Accept only this token; None accepts any non-empty token."""
    html_base: str = "https://github.com"
    repos: dict[str, SimRepo] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every request, for tests."""

    def add_repo(self, full_name: str, labels: tuple[str, ...] = DEFAULT_LABELS) -> SimRepo:
        repo = SimRepo(full_name, set(labels))
        self.repos[full_name.lower()] = repo
        return repo

    def issue_json(self, repo: SimRepo, issue: SimIssue, api_base: str) -> dict[str, Any]:
        return {
            "id": abs(hash((repo.full_name, issue.number))) % 10**9,
            "number": issue.number,
            "title": issue.title,
            "body": issue.body,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "labels": [{"name": n} for n in issue.labels],
            "html_url": f"{self.html_base}/{repo.full_name}/issues/{issue.number}",
            "url": f"{api_base}/repos/{repo.full_name}/issues/{issue.number}",
            "repository_url": f"{api_base}/repos/{repo.full_name}",
            "created_at": issue.created_at,
        }


STATE = web.AppKey("github_state", GitHubState)


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response(
        {"message": message, "documentation_url": DOCS, **extra}, status=status
    )


def _api_base(request: web.Request) -> str:
    path = request.path
    cut = min((i for i in (path.find("/repos/"), path.find("/search/")) if i >= 0), default=0)
    prefix = path[:cut]
    return f"{request.scheme}://{request.host}{prefix}".rstrip("/")


@web.middleware
async def _auth(request: web.Request, handler: Any) -> web.StreamResponse:
    state = request.app[STATE]
    state.requests.append((request.method, request.path))
    if request.path.endswith("/health"):
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in ("bearer", "token") or not token.strip():
        return _error(401, "Requires authentication")
    if state.token is not None and token.strip() != state.token:
        return _error(401, "Bad credentials")
    return await handler(request)


def _repo(request: web.Request) -> SimRepo | None:
    name = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
    return request.app[STATE].repos.get(name)


async def create_issue(request: web.Request) -> web.Response:
    state = request.app[STATE]
    repo = _repo(request)
    if repo is None:
        return _error(404, "Not Found")
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "Problems parsing JSON")
    if not isinstance(body, dict):
        return _error(400, "Problems parsing JSON")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        return _error(
            422,
            "Validation Failed",
            errors=[{"resource": "Issue", "code": "missing_field", "field": "title"}],
        )
    labels = body.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        return _error(422, "Validation Failed", errors=[{"resource": "Issue", "field": "labels"}])
    unknown = [x for x in labels if x not in repo.labels]
    if unknown:
        return _error(
            422,
            "Validation Failed",
            errors=[
                {"resource": "Label", "code": "invalid", "field": "labels", "value": x}
                for x in unknown
            ],
        )
    number = max(repo.issues, default=0) + 1
    issue = SimIssue(number, title, str(body.get("body") or ""), list(labels))
    repo.issues[number] = issue
    return web.json_response(state.issue_json(repo, issue, _api_base(request)), status=201)


async def get_issue(request: web.Request) -> web.Response:
    repo = _repo(request)
    if repo is None:
        return _error(404, "Not Found")
    try:
        issue = repo.issues[int(request.match_info["number"])]
    except (KeyError, ValueError):
        return _error(404, "Not Found")
    return web.json_response(request.app[STATE].issue_json(repo, issue, _api_base(request)))


STATE_REASONS = {"closed": ("completed", "not_planned"), "open": ("reopened",)}


async def update_issue(request: web.Request) -> web.Response:
    """PATCH: `state` open/closed with its `state_reason`, `title`, `body`."""
    repo = _repo(request)
    if repo is None:
        return _error(404, "Not Found")
    try:
        issue = repo.issues[int(request.match_info["number"])]
        body = await request.json()
    except (KeyError, ValueError):
        return _error(404, "Not Found")
    if not isinstance(body, dict):
        return _error(400, "Problems parsing JSON")
    state = body.get("state", issue.state)
    reason = body.get("state_reason")
    if state not in STATE_REASONS or (reason is not None and reason not in STATE_REASONS[state]):
        return _error(422, "Validation Failed", errors=[{"resource": "Issue", "field": "state"}])
    if state != issue.state:
        issue.state_reason = reason or ("completed" if state == "closed" else "reopened")
    issue.state = state
    for name in ("title", "body"):
        if isinstance(body.get(name), str):
            setattr(issue, name, body[name])
    return web.json_response(request.app[STATE].issue_json(repo, issue, _api_base(request)))


async def list_labels(request: web.Request) -> web.Response:
    repo = _repo(request)
    if repo is None:
        return _error(404, "Not Found")
    return web.json_response([{"name": n} for n in sorted(repo.labels)])


def _parse_query(q: str) -> tuple[dict[str, list[str]], list[str]]:
    try:
        parts = shlex.split(q)
    except ValueError:
        parts = q.split()
    quals: dict[str, list[str]] = {}
    words: list[str] = []
    for part in parts:
        m = re.match(r"^(repo|is|in|state|label):(.+)$", part)
        if m:
            quals.setdefault(m.group(1), []).append(m.group(2).lower())
        else:
            words.append(part.lower())
    return quals, words


async def search_issues(request: web.Request) -> web.Response:
    state = request.app[STATE]
    q = request.query.get("q", "")
    if not q.strip():
        return _error(
            422,
            "Validation Failed",
            errors=[{"resource": "Search", "field": "q", "code": "missing"}],
        )
    quals, words = _parse_query(q)
    repos = list(state.repos.values())
    if "repo" in quals:
        repos = [r for r in repos if r.full_name.lower() in quals["repo"]]
    want_state = None
    for value in quals.get("is", []) + quals.get("state", []):
        if value in ("open", "closed"):
            want_state = value
    where = set(",".join(quals.get("in", [])).split(",")) - {""} or {"title", "body"}
    items = []
    for repo in repos:
        for issue in repo.issues.values():
            if want_state and issue.state != want_state:
                continue
            hay = " ".join(
                [issue.title if "title" in where else "", issue.body if "body" in where else ""]
            ).lower()
            if all(w in hay for w in words):
                items.append(state.issue_json(repo, issue, _api_base(request)))
    return web.json_response(
        {"total_count": len(items), "incomplete_results": False, "items": items[:100]}
    )


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "repos": sorted(request.app[STATE].repos)})


def create_github_app(
    *,
    token: str | None = None,
    repos: tuple[str, ...] = DEFAULT_REPOS,
    labels: tuple[str, ...] = DEFAULT_LABELS,
) -> web.Application:
    state = GitHubState(token=token)
    for name in repos:
        state.add_repo(name, labels)
    app = web.Application(middlewares=[_auth])
    app[STATE] = state
    app.router.add_post("/repos/{owner}/{repo}/issues", create_issue)
    app.router.add_get("/repos/{owner}/{repo}/issues/{number}", get_issue)
    app.router.add_patch("/repos/{owner}/{repo}/issues/{number}", update_issue)
    app.router.add_get("/repos/{owner}/{repo}/labels", list_labels)
    app.router.add_get("/search/issues", search_issues)
    app.router.add_get("/health", health)
    return app
