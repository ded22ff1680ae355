"""What the container images install is a wheel, not the source tree: it must carry its data."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_orders_wheel_carries_its_workflow_files(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(tmp_path), str(ROOT / "services" / "orders")], check=True)
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    workflows = ROOT / "services" / "orders" / "orders" / "workflows"
    shipped = {f"orders/workflows/{path.name}" for path in workflows.glob("*.yaml")}
    assert shipped and shipped <= names
