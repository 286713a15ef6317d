"""GitHub client against the GitHub simulator: create, dedupe search, 401, 404, 422."""

from __future__ import annotations

import pytest

from sxtriage.triage.github import (
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    GitHubNotFound,
    GitHubValidation,
)


async def test_create_then_find_by_short_id(github_sim) -> None:
    async with GitHubClient(github_sim.url, "ghp-test") as gh:
        assert await gh.find_open_issue("scenextras/api", "API-1F") is None
        created = await gh.create_issue(
            "scenextras/api", "[API] API-1F: TMDB timeout", "Sentry: API-1F", ["bug", "sentry"]
        )
        assert created.number == 1
        assert created.url.endswith("/scenextras/api/issues/1")
        found = await gh.find_open_issue("scenextras/api", "API-1F")
        assert found is not None and found.number == 1
        # another short id, another repo: no false positives
        assert await gh.find_open_issue("scenextras/api", "API-2") is None
        assert await gh.find_open_issue("scenextras/web", "API-1F") is None
        fetched = await gh.get_issue("scenextras/api", 1)
        assert fetched.title == "[API] API-1F: TMDB timeout"
        assert "bug" in await gh.list_labels("scenextras/api")
    repo = github_sim.state.repos["scenextras/api"]
    assert [i.labels for i in repo.issues.values()] == [["bug", "sentry"]]


async def test_a_short_id_does_not_match_a_longer_one(github_sim) -> None:
    async with GitHubClient(github_sim.url, "ghp-test") as gh:
        await gh.create_issue("scenextras/web", "[WEB] WEB-12: crash", "Sentry: WEB-12", [])
        assert await gh.find_open_issue("scenextras/web", "WEB-1") is None
        assert await gh.find_open_issue("scenextras/web", "EB-12") is None
        found = await gh.find_open_issue("scenextras/web", "web-12")
        assert found is not None and found.number == 1


async def test_closed_issue_is_not_a_duplicate(github_sim) -> None:
    async with GitHubClient(github_sim.url, "ghp-test") as gh:
        await gh.create_issue("scenextras/web", "[WEB] WEB-7: crash", "", [])
        github_sim.state.repos["scenextras/web"].issues[1].state = "closed"
        assert await gh.find_open_issue("scenextras/web", "WEB-7") is None


@pytest.mark.parametrize("token", [None, "wrong"])
async def test_bad_token_is_401_with_fix(github_sim, token) -> None:
    async with GitHubClient(github_sim.url, token) as gh:
        with pytest.raises(GitHubAuthError) as err:
            await gh.create_issue("scenextras/api", "t", "b")
    assert "GITHUB_TOKEN" in str(err.value)
    assert "ghp-test" not in str(err.value)
    assert github_sim.state.repos["scenextras/api"].issues == {}


async def test_unknown_repo_is_404_naming_the_repo(github_sim) -> None:
    async with GitHubClient(github_sim.url, "ghp-test") as gh:
        with pytest.raises(GitHubNotFound) as err:
            await gh.create_issue("scenextras/nope", "t", "b")
    assert "scenextras/nope" in str(err.value) and "github_repo" in str(err.value)


async def test_unknown_label_is_422_naming_the_label(github_sim) -> None:
    async with GitHubClient(github_sim.url, "ghp-test") as gh:
        with pytest.raises(GitHubValidation) as err:
            await gh.create_issue("scenextras/api", "t", "b", ["bug", "made-up"])
    assert "made-up" in str(err.value)
    assert github_sim.state.repos["scenextras/api"].issues == {}


async def test_unreachable_github_is_a_clear_error() -> None:
    async with GitHubClient("http://127.0.0.1:9", "tok", timeout=2) as gh:
        with pytest.raises(GitHubError) as err:
            await gh.create_issue("scenextras/api", "t", "b")
    assert "cannot reach GitHub" in str(err.value)
