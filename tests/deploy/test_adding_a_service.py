"""Adding a service is one documented step (docs/adding-a-service.md): every directory under
services/ has each piece a service needs, and a missing one is named."""

import shutil

import pytest

from support.components import PIECES, ROOT, SERVICES, missing_pieces

GUIDE = ROOT / "docs" / "adding-a-service.md"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_every_piece_a_service_needs(name):
    missing = missing_pieces(name)
    assert not missing, (
        f"services/{name} lacks: " + "; ".join(missing) + " (see docs/adding-a-service.md)"
    )


def test_a_service_that_lacks_pieces_is_told_which(tmp_path):
    for path in ("docker-compose.yml", "requirements-dev.txt", "deploy", "libs/contracts"):
        source = ROOT / path
        copy = shutil.copytree if source.is_dir() else shutil.copy
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        copy(source, tmp_path / path)
    (tmp_path / "services" / "billing" / "billing").mkdir(parents=True)
    (tmp_path / "services" / "billing" / "billing" / "__init__.py").touch()
    (tmp_path / "services" / "billing" / "config.yaml").touch()

    missing = missing_pieces("billing", tmp_path)

    assert len(missing) == len(PIECES) - 2
    assert "class BillingService in services/billing/billing/service.py" in missing
    assert "a billing service in docker-compose.yml" in missing
    assert "the contracts module libs/contracts/contracts/events/billing.py" in missing


def test_the_guide_names_every_piece():
    guide = GUIDE.read_text()
    for piece, _ in PIECES:
        assert piece.format(name="<name>", Name="<Name>") in guide, piece
