"""The GitHub workflows and CITATION.cff validate against their schemas (offline, vendored in check-jsonschema)."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from booktools.paths import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def check(schema: str, *files: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_validate():
    assert WORKFLOWS
    check("vendor.github-workflows", *WORKFLOWS)


def test_citation_cff_validates():
    check("vendor.citation-file-format", ROOT / "CITATION.cff")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_is_bounded_and_least_privilege(path):
    flow = yaml.safe_load(path.read_text())
    assert flow.get("permissions") == {"contents": "read"}, "default token must be read-only"
    for name, job in flow["jobs"].items():
        assert "timeout-minutes" in job, f"{path.name}:{name} has no timeout"


def test_gpu_job_never_runs_untrusted_code():
    flow = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    triggers = flow[True] if True in flow else flow["on"]  # YAML reads the key `on` as True
    assert "pull_request" not in triggers and "pull_request_target" not in triggers
    job = flow["jobs"]["full"]
    assert "self-hosted" in job["runs-on"] and "gpu" in job["runs-on"]
    assert "vars.HAS_GPU_RUNNER" in job["if"]


def test_workflows_call_the_make_targets_ci_runs():
    text = "".join(p.read_text() for p in WORKFLOWS)
    assert "make test" in text and "make full" in text and "make book" in text
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "include-hidden-files: true" in text
