"""What the container images install is a wheel, not the source tree: it must carry its data."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_orders_wheel_carries_its_workflow_files(tmp_path):
    # Built from a copy: setuptools leaves build/ and egg-info behind in the tree it builds.
    source = shutil.copytree(
        ROOT / "services" / "orders",
        tmp_path / "orders",
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
    names = set(zipfile.ZipFile(wheel).namelist())
    workflows = ROOT / "services" / "orders" / "orders" / "workflows"
    shipped = {f"orders/workflows/{path.name}" for path in workflows.glob("*.yaml")}
    assert shipped and shipped <= names
