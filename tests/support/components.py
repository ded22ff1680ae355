"""The components of the system, derived from the tree (never listed by hand), and what a service
needs to be one: the checklist of docs/adding-a-service.md."""

import re
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def service_names(root: Path = ROOT) -> list[str]:
    """Every directory under services/: each is a service."""
    return sorted(
        p.name for p in (root / "services").iterdir() if p.is_dir() and p.name[0] not in "._"
    )


SERVICES = service_names()
COMPONENTS = [*SERVICES, "gateway"]  # everything with its own database and migrations


def _text(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def _revision_calling(function: str) -> Callable[[Path, str], bool]:
    def check(root: Path, name: str) -> bool:
        versions = root / "services" / name / "alembic" / "versions"
        return any(function in _text(path) for path in versions.glob("*.py"))

    return check


def _in_compose(root: Path, name: str) -> bool:
    compose = yaml.safe_load(_text(root / "docker-compose.yml")) or {}
    return name in (compose.get("services") or {})


def _in_kustomization(root: Path, name: str) -> bool:
    kustomization = yaml.safe_load(_text(root / "deploy" / "k8s" / "kustomization.yaml")) or {}
    listed = f"{name}.yaml" in (kustomization.get("resources") or [])
    return listed and (root / "deploy" / "k8s" / f"{name}.yaml").is_file()


def _in_database_init(root: Path, name: str) -> bool:
    script = _text(root / "deploy" / "postgres" / "create-databases.sh")
    match = re.search(r'^DATABASES="([^"]*)"', script, re.M)
    return bool(match) and name in match.group(1).split()


# (what is missing, as a reader of docs/adding-a-service.md knows it; how to tell it is there)
PIECES: list[tuple[str, Callable[[Path, str], bool]]] = [
    (
        "the package services/{name}/{name}/__init__.py",
        lambda root, name: (root / "services" / name / name / "__init__.py").is_file(),
    ),
    (
        "class {Name}Service in services/{name}/{name}/service.py",
        lambda root, name: (
            f"class {name.capitalize()}Service("
            in _text(root / "services" / name / name / "service.py")
        ),
    ),
    (
        "services/{name}/pyproject.toml",
        lambda root, name: (root / "services" / name / "pyproject.toml").is_file(),
    ),
    (
        "services/{name}/config.yaml",
        lambda root, name: (root / "services" / name / "config.yaml").is_file(),
    ),
    (
        "services/{name}/alembic.ini and services/{name}/alembic/env.py",
        lambda root, name: (
            (root / "services" / name / "alembic.ini").is_file()
            and (root / "services" / name / "alembic" / "env.py").is_file()
        ),
    ),
    (
        "a messaging revision (migrations.upgrade_messaging) in services/{name}/alembic/versions",
        _revision_calling("upgrade_messaging"),
    ),
    (
        "a commands revision (migrations.upgrade_commands) in services/{name}/alembic/versions",
        _revision_calling("upgrade_commands"),
    ),
    (
        "the contracts module libs/contracts/contracts/events/{name}.py",
        lambda root, name: (
            root / "libs" / "contracts" / "contracts" / "events" / f"{name}.py"
        ).is_file(),
    ),
    (
        "-e services/{name} in requirements-dev.txt",
        lambda root, name: (
            f"-e services/{name}" in _text(root / "requirements-dev.txt").splitlines()
        ),
    ),
    ("a {name} service in docker-compose.yml", _in_compose),
    ("deploy/k8s/{name}.yaml, listed in deploy/k8s/kustomization.yaml", _in_kustomization),
    (
        "a migrate-{name} container in deploy/k8s/migrate-job.yaml",
        lambda root, name: (
            f"name: migrate-{name}" in _text(root / "deploy" / "k8s" / "migrate-job.yaml")
        ),
    ),
    (
        "{name} in DATABASES of deploy/postgres/create-databases.sh",
        _in_database_init,
    ),
]


def missing_pieces(name: str, root: Path = ROOT) -> list[str]:
    """What services/<name> still lacks to be a service of the system, in the doc's words."""
    return [
        piece.format(name=name, Name=name.capitalize())
        for piece, present in PIECES
        if not present(root, name)
    ]
