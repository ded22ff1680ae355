"""What the container images install is a wheel, not the source tree: it must carry its data."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wheel_contents(component: Path, tmp_path: Path) -> set[str]:
    """The file names in the wheel pip builds of a component's directory, as the image does."""
    # Built from a copy: setuptools leaves build/ and egg-info behind in the tree it builds.
    source = shutil.copytree(
        component,
        tmp_path / component.name,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
    )
    [wheel] = (tmp_path / "dist").glob("*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def test_the_orders_wheel_carries_its_workflow_files(tmp_path):
    names = wheel_contents(ROOT / "services" / "orders", tmp_path)
    workflows = ROOT / "services" / "orders" / "orders" / "workflows"
    shipped = {f"orders/workflows/{path.name}" for path in workflows.glob("*.yaml")}
    assert shipped and shipped <= names


def test_the_web_wheel_carries_its_templates_and_static_files(tmp_path):
    names = wheel_contents(ROOT / "web", tmp_path)
    package = ROOT / "web" / "web"
    shipped = {
        path.relative_to(package.parent).as_posix()
        for folder in ("templates", "static")
        for path in (package / folder).rglob("*")
        if path.is_file()
    }
    assert "web/__main__.py" in names
    assert shipped and shipped <= names
