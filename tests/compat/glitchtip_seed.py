"""Seeds a fresh GlitchTip database; runs with GlitchTip's own interpreter and settings
(``DJANGO_SETTINGS_MODULE=glitchtip.settings``, ``PYTHONPATH=<source>``), never imported
by our code. Prints one JSON line: org, team, token, members and projects with DSNs.

Models as GlitchTip defines them: apps/users/models.py, apps/organizations_ext/models.py
(``add_user``), apps/teams/models.py, apps/projects/models.py (``ProjectKey.get_dsn``),
apps/api_tokens/models.py (``scopes`` BitField)."""

from __future__ import annotations

import json
import sys

import django

ORG = "compat"
TEAM = "oncall"
OWNER = ("owner@compat.example.com", "Olive Owner")
MEMBER = ("alice@compat.example.com", "Alice Member")
OUTSIDER = "outsider@compat.example.com"
PROJECTS = (("api", "python"), ("web", "javascript"))


def main() -> None:
    django.setup()
    from apps.api_tokens.models import APIToken
    from apps.organizations_ext.constants import OrganizationUserRole
    from apps.organizations_ext.models import Organization
    from apps.projects.models import Project
    from apps.teams.models import Team
    from apps.users.models import User

    # A user outside the org first, so user ids and org-member ids differ (2 vs 1, 3 vs 2):
    # a client that mixes them up assigns the wrong person.
    User.objects.create_user(email=OUTSIDER, password="compat-password-0")
    owner = User.objects.create_user(email=OWNER[0], password="compat-password-1")
    owner.name = OWNER[1]
    owner.save()
    member = User.objects.create_user(email=MEMBER[0], password="compat-password-2")
    member.name = MEMBER[1]
    member.save()

    org = Organization.objects.create(name=ORG, slug=ORG)
    owner_ou = org.add_user(owner, OrganizationUserRole.OWNER)
    member_ou = org.add_user(member, OrganizationUserRole.MEMBER)
    team = Team.objects.create(slug=TEAM, organization=org)
    team.members.add(owner_ou, member_ou)

    projects = {}
    for name, platform in PROJECTS:
        project = Project.objects.create(name=name, organization=org, platform=platform)
        team.projects.add(project)
        key = project.projectkey_set.first()
        projects[name] = {
            "id": project.id,
            "slug": project.slug,
            "platform": platform,
            "dsn": key.get_dsn(),
        }

    token = APIToken.objects.create(user=owner, label="sxtriage compat")
    token.add_permissions([flag for flag, _ in token.scopes.items()])

    out = {
        "org": org.slug,
        "team": team.slug,
        "token": token.token,
        "user": {"id": owner.id, "email": owner.email, "name": owner.name},
        "members": [
            {"id": u.id, "email": u.email, "name": u.name, "member_id": ou.id}
            for u, ou in ((owner, owner_ou), (member, member_ou))
        ],
        "projects": projects,
    }
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
