"""README's "CI with boards" section cannot drift from the tool: its GitHub Actions and GitLab CI
examples are valid YAML of the shape each system reads, and every `fwgen ...` command line in
the section (in the jobs' scripts and in the text) parses with fwgen's own argument parser."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from fwgen.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### CI with boards"
# `fwgen VERB ...` or `.venv/bin/fwgen VERB ...`, up to the end of the command
COMMAND = re.compile(r"(?:^|[\s`(])(?:\.venv/bin/)?fwgen\s+([a-z]+)\b([^`\n]*)")


def section() -> str:
    text = README.read_text()
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    body = text.split(SECTION, 1)[1]
    return re.split(r"\n#{1,3} ", body, maxsplit=1)[0]


def yaml_blocks() -> list[dict]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section(), re.S)]


def scripts(block: dict) -> list[str]:
    """The shell each job runs: GitHub steps' `run`, GitLab's before_script/script items."""
    found = []
    for job in (block.get("jobs") or block).values():
        if not isinstance(job, dict):
            continue
        found += [step["run"] for step in job.get("steps", []) if "run" in step]
        for key in ("before_script", "script", "after_script"):
            found += list(job.get(key, []))
    return found


def command_lines() -> list[str]:
    """Every fwgen command in the section: in the jobs' scripts, and the inline code of the
    prose that gives options (a bare `fwgen test` names the verb, it is not a command line)."""
    texts = [s for block in yaml_blocks() for s in scripts(block)]
    prose = re.sub(r"```.*?```", "", section(), flags=re.S).replace("\n", " ")
    texts += [span for span in re.findall(r"`([^`]+)`", prose) if " --" in span]
    return [f"{m.group(1)}{m.group(2)}".strip() for text in texts for m in COMMAND.finditer(text)]


def test_the_examples_are_a_github_workflow_and_a_gitlab_pipeline():
    github, gitlab = yaml_blocks()
    assert set(github["jobs"]) == {"twin", "board"}
    assert "self-hosted" in github["jobs"]["board"]["runs-on"]
    assert all(any("upload-artifact" in s.get("uses", "") for s in job["steps"])
               for job in github["jobs"].values())
    assert all("script" in job for job in gitlab.values())
    assert gitlab["fwgen-test-board"]["tags"], "the board job must name its runner's tag"
    assert all("junit" in job["artifacts"].get("reports", {}) for name, job in gitlab.items()
               if name.startswith("fwgen-test"))


def test_twin_by_default_and_a_board_where_the_runner_has_one():
    tests = [line for line in command_lines() if line.startswith("test ")]
    assert any("--emulate" in line for line in tests)
    assert any("--hardware-map" in line for line in tests)
    assert all("--junit" in line for line in tests)


@pytest.mark.parametrize("line", command_lines())
def test_every_fwgen_command_line_parses(line):
    parser, _ = build_parser()
    try:
        args = parser.parse_args(shlex.split(line))
    except SystemExit:
        pytest.fail(f"README {SECTION!r}: `fwgen {line}` does not parse (see the error above)")
    assert args.verb == line.split()[0]
