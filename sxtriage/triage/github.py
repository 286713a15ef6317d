"""GitHub REST client (httpx.AsyncClient): create an issue, find one by Sentry short id
(or by the marker an outbox action wrote into its body), close one.

Errors are typed and their message names the problem and the fix; the token is never
part of a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError


class GitHubError(Exception):
    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class GitHubAuthError(GitHubError):
    status = 401


class GitHubNotFound(GitHubError):
    status = 404


class GitHubValidation(GitHubError):
    status = 422


class _IssueJson(BaseModel):
    model_config = ConfigDict(extra="ignore")
    number: int
    title: str
    html_url: str
    state: str = "open"
    body: str | None = None


@dataclass(frozen=True)
class GitHubIssue:
    repo: str
    number: int
    title: str
    url: str
    """The issue's web page (html_url)."""
    state: str = "open"


def _issue(repo: str, data: Any) -> GitHubIssue:
    try:
        parsed = _IssueJson.model_validate(data)
    except ValidationError:
        raise GitHubError("GitHub answered with an unexpected issue shape; retry later") from None
    return GitHubIssue(repo, parsed.number, parsed.title, parsed.html_url, parsed.state)


class GitHubClient:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._has_token = bool(token)
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "sxtriage",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    @property
    def has_token(self) -> bool:
        return self._has_token

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _request(self, method: str, path: str, *, repo: str | None, **kw: Any) -> Any:
        if not self._has_token:
            raise GitHubAuthError(
                "no GitHub token; set GITHUB_TOKEN or run `sxtriage login --github-token TOKEN`"
            )
        try:
            resp = await self._http.request(method, path, **kw)
        except httpx.TimeoutException:
            raise GitHubError(f"GitHub ({self.base_url}) did not answer in time; retry") from None
        except httpx.HTTPError as exc:
            raise GitHubError(
                f"cannot reach GitHub at {self.base_url} ({type(exc).__name__}); "
                "check the network or github_api_url"
            ) from None
        if resp.status_code < 300:
            try:
                return resp.json()
            except ValueError:
                raise GitHubError("GitHub answered with invalid JSON; retry later") from None
        raise _error(resp, repo)

    async def create_issue(
        self, repo: str, title: str, body: str, labels: list[str] | None = None
    ) -> GitHubIssue:
        data = await self._request(
            "POST",
            f"/repos/{repo}/issues",
            repo=repo,
            json={"title": title, "body": body, "labels": list(labels or [])},
        )
        return _issue(repo, data)

    async def close_issue(self, repo: str, number: int, reason: str = "not_planned") -> GitHubIssue:
        """Close an issue (`state_reason` completed / not_planned); closing a closed one is
        a no-op on GitHub, so this may be sent again."""
        data = await self._request(
            "PATCH",
            f"/repos/{repo}/issues/{number}",
            repo=repo,
            json={"state": "closed", "state_reason": reason},
        )
        return _issue(repo, data)

    async def get_issue(self, repo: str, number: int) -> GitHubIssue:
        return _issue(repo, await self._request("GET", f"/repos/{repo}/issues/{number}", repo=repo))

    async def list_labels(self, repo: str) -> list[str]:
        data = await self._request("GET", f"/repos/{repo}/labels", repo=repo)
        return [d["name"] for d in data if isinstance(d, dict) and isinstance(d.get("name"), str)]

    async def find_open_issue(self, repo: str, short_id: str) -> GitHubIssue | None:
        """An open issue in `repo` that mentions the Sentry short id (or any other whole
        word, such as an outbox action's marker), if any."""
        safe = short_id.replace('"', "")
        q = f'repo:{repo} is:issue is:open "{safe}"'
        data = await self._request("GET", "/search/issues", repo=None, params={"q": q})
        # the whole id, not a prefix of a longer one: WEB-1 must not match WEB-12
        whole = re.compile(rf"(?<![A-Za-z0-9-]){re.escape(safe)}(?![A-Za-z0-9])", re.IGNORECASE)
        for item in data.get("items", []) if isinstance(data, dict) else []:
            issue = _issue(repo, item)
            text = f"{item.get('title', '')} {item.get('body') or ''}"
            if whole.search(text):
                return issue
        return None


def _error(resp: httpx.Response, repo: str | None) -> GitHubError:
    try:
        payload = resp.json()
    except ValueError:
        payload = {}
    message = payload.get("message", "") if isinstance(payload, dict) else ""
    status = resp.status_code
    if status == 401:
        return GitHubAuthError(
            f"GitHub rejected the token (401 {message or 'Bad credentials'}); set a valid "
            "GITHUB_TOKEN or run `sxtriage login --github-token TOKEN`"
        )
    if status == 404:
        where = f"repository {repo}" if repo else "the endpoint"
        return GitHubNotFound(
            f"GitHub {where} not found (404); check github_repo in the service map and that "
            "the token can see it"
        )
    if status == 422:
        problems = []
        for err in payload.get("errors", []) if isinstance(payload, dict) else []:
            if isinstance(err, dict):
                field = err.get("field", "?")
                value = err.get("value")
                problems.append(f"{field} {value!r} is invalid" if value else f"{field} invalid")
        detail = "; ".join(problems) or message or "validation failed"
        return GitHubValidation(
            f"GitHub refused the issue (422): {detail}; fix it in the preview and send again"
        )
    if status == 403:
        return GitHubError(
            f"GitHub denied access (403 {message}); the token needs the `issues: write` "
            "permission on this repository (or wait if rate limited)",
            status=403,
        )
    return GitHubError(f"GitHub answered {status} {message}; retry later", status=status)
