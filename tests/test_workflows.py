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
    on = flow[True] if True in flow else flow["on"]  # YAML reads the key `on` as True
    assert "pull_request" not in on and "pull_request_target" not in on
    job = flow["jobs"]["full"]
    assert "self-hosted" in job["runs-on"] and "gpu" in job["runs-on"]
    assert "vars.HAS_GPU_RUNNER" in job["if"]


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def triggers(flow: dict) -> dict:
    return flow[True] if True in flow else flow["on"]  # YAML reads the key `on` as True


def steps_running(job: dict, text: str) -> list[int]:
    return [i for i, step in enumerate(job["steps"]) if text in str(step.get("run", ""))]


def test_workflows_call_the_make_targets_ci_runs():
    text = "".join(p.read_text() for p in WORKFLOWS)
    assert "make full" in text and "make book" in text and "make colab" in text and "make pdf" in text
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "include-hidden-files: true" in text


def test_ci_runs_what_ci_run_runs():
    """ci.yml runs .ci/run itself, on Debian (apt's chromium and fonts), with the torch spec .ci/run sets."""
    import re

    job = load("ci.yml")["jobs"]["test"]
    assert steps_running(job, ".ci/run"), "ci.yml must run .ci/run"
    assert "bookworm" in job["container"]  # Debian: .ci/run installs chromium, chromium-driver, fonts-noto-cjk
    script = (ROOT / ".ci" / "run").read_text()
    assert "fonts-noto-cjk" in script and "chromium-driver" in script
    default = re.search(r'TORCH_SPEC="\$\{TORCH_SPEC:-([^}]+)\}"', script)[1]
    assert job["env"]["TORCH_SPEC"] == default
    caches = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/cache@")]
    assert caches and caches[0]["with"]["path"] == job["env"]["PIP_CACHE_DIR"], "pip downloads are cached"
    assert "pyproject.toml" in caches[0]["with"]["key"]


def uploads(job: dict, action: str = "actions/upload") -> list[int]:
    return [i for i, s in enumerate(job["steps"]) if str(s.get("uses", "")).startswith(action)]


def test_book_checks_the_site_before_deploying_and_keeps_no_token():
    jobs = load("book.yml")["jobs"]
    job = jobs["full"]
    check = steps_running(job, "tests/site")  # the site checks of `make site-check`, the PDF's in the `pdf` job
    build = steps_running(job, "make book")
    assert check and build and uploads(job) and build[0] < check[0] < min(uploads(job))
    assert steps_running(job, "make full")[0] < build[0]
    for name in ("full", "pdf"):
        checkout = next(s for s in jobs[name]["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
        assert checkout.get("with", {}).get("persist-credentials") is False
    assert job["env"]["MLBOOK_REF"] == "${{ github.sha }}"  # the ref the notebooks name


def test_book_adds_the_checked_pdf_to_the_site():
    """The `pdf` job prints the book from the full run's cache (`make pdf`), checks it, then uploads the site for
    Pages; publishing waits for it."""
    jobs = load("book.yml")["jobs"]
    job = jobs["pdf"]
    assert job["needs"] == "full" and "bookworm" in job["container"]
    build, check = steps_running(job, "make pdf"), steps_running(job, "tests/site/test_pdf.py")
    pages = uploads(job, "actions/upload-pages-artifact")
    assert build and check and pages and build[0] < check[0] < pages[0]
    assert "chromium-driver" in str(job["steps"]) and "fonts-noto-cjk" in str(job["steps"])
    assert not uploads(jobs["full"], "actions/upload-pages-artifact"), "only the site with its PDF goes to Pages"
    assert jobs["publish"]["needs"] == "pdf"


def test_colab_runs_weekly_and_by_hand():
    flow = load("colab.yml")
    on = triggers(flow)
    assert "workflow_dispatch" in on and on["schedule"][0]["cron"].split()[-1] != "*"  # weekly: one day of the week
    job = flow["jobs"]["colab"]
    assert steps_running(job, "make colab")
    assert "pull_request" not in on


def test_no_invented_action_shas():
    """Third-party actions are pinned to major-version tags unless a real commit SHA was available (none here)."""
    import re

    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})", step["uses"]), (path.name, step["uses"])
