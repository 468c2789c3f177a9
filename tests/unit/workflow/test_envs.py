"""The conda environment and container recipe pin what the pip set-up installs.

No conda channel or image registry is reachable here, so these files cannot be built in
CI; this test keeps them honest against the pip pins, which are installed and tested.
"""

import re
from importlib.metadata import version

import yaml

from tests.helpers import REPO


def pip_pins() -> dict[str, str]:
    pins = {}
    for name in ("requirements.txt", "requirements-nodeps.txt"):
        for line in (REPO / "envs" / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line:
                pkg, ver = line.split("==")
                pins[pkg.lower()] = ver
    return pins


def test_conda_env_pins_match_the_pip_pins():
    env = yaml.safe_load((REPO / "envs" / "subvox.yaml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_pins = {}
    for entry in pip_section:
        if "==" in entry:
            pkg, ver = entry.split("==")
            conda_pins[pkg.lower()] = ver
    assert conda_pins == pip_pins()
    assert "python=3.11" in env["dependencies"]


def test_installed_versions_are_the_pinned_ones():
    for pkg, ver in pip_pins().items():
        assert version(pkg).split("+")[0] == ver, pkg


def test_container_recipe_installs_the_same_pins():
    recipe = (REPO / "envs" / "subvox.def").read_text()
    assert "pip install --no-cache-dir torch==2.13.0" in recipe
    assert "-r /opt/subvox/envs/requirements.txt" in recipe
    assert re.search(r"--no-deps -r /opt/subvox/envs/requirements-nodeps.txt", recipe)
