"""The lock files hold every dependency pyproject.toml names, in a version it allows, with
hashes: `make lock` was run after the last change of dependencies."""

import re
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

BASE = Path(settings.BASE_DIR)
PROJECT = tomllib.loads((BASE / "pyproject.toml").read_text())["project"]


def locked(name: str) -> dict[str, str]:
    text = (BASE / "requirements" / name).read_text()
    return {
        canonicalize_name(package): version
        for package, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+) \\$", text, re.M)
    }


@pytest.mark.parametrize(
    ("lock", "groups"),
    [("base.lock", []), ("dev.lock", ["dev", "test"])],
)
def test_every_dependency_is_locked_in_a_version_it_allows(lock, groups):
    pins = locked(lock)
    wanted = PROJECT["dependencies"] + [
        dependency for group in groups for dependency in PROJECT["optional-dependencies"][group]
    ]
    for line in wanted:
        requirement = Requirement(line.split("#")[0].strip())
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} in {lock} is outside {requirement.specifier}: run `make lock`"
        )


def test_every_pin_has_a_hash():
    for lock in ("base.lock", "dev.lock"):
        text = (BASE / "requirements" / lock).read_text()
        pins = re.findall(r"^\S+==\S+ \\\n(\s+--hash=sha256:[0-9a-f]{64})", text, re.M)
        assert len(pins) == len(locked(lock)) > 20
