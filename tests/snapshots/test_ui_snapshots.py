"""Snapshot tests (pytest-textual-snapshot) of every UI scene; update with --snapshot-update."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.scenes import SCENES, Scene, scene_app, scene_pilot


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_scene(scene: Scene, snap_compare: Any, tmp_path: Path) -> None:
    app = scene_app(scene, tmp_path)
    try:
        assert snap_compare(app, terminal_size=scene.size, run_before=scene_pilot(scene))
    finally:
        app.session.store.close()
