#!/usr/bin/env python3
"""Helpers of scripts/dist/test.sh: read the CI snippets README.md shows, and check what the
GitHub Action and the GitLab job produce. Each subcommand prints what it found and exits 1 with
a message naming the problem.

    checks.py readme-inputs README            the `with:` of the dusk step in the GitHub snippet
    checks.py gitlab-job README TEMPLATE      the GitLab job's variables and script, as shell
    checks.py action-run REPORT WORKSPACE FINDINGS_JSON EXPECT_EXIT
    checks.py codequality REPORT WORKSPACE FINDINGS_JSON

Only PyYAML beyond the standard library (pre-commit brings it).
"""

import json
import os
import re
import shlex
import sys

import yaml


def fail(message):
    print(f"checks.py: {message}", file=sys.stderr)
    sys.exit(1)


def readme_block(readme, marker):
    """The first ```yaml block after the `<!-- ci:MARKER ... -->` comment."""
    text = open(readme, encoding="utf-8").read()
    m = re.search(r"<!-- ci:" + re.escape(marker) + r"\b[^>]*-->\s*```yaml\n(.*?)```", text, re.S)
    if not m:
        fail(f"no ```yaml block after `<!-- ci:{marker} -->` in {readme}")
    return yaml.safe_load(m.group(1))


def readme_inputs(readme):
    workflow = readme_block(readme, "github")
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if re.fullmatch(r"[^/\s]+/dusk@\S+", str(step.get("uses", ""))):
                for name, value in (step.get("with") or {}).items():
                    print(f"{name}={value}")
                return
    fail("the GitHub snippet has no `uses: …/dusk@…` step")


def gitlab_job(readme, template_path):
    """A shell script that runs the README's job as GitLab would: the template's variables,
    overridden by the job's, then the script lines in one shell that stops at the first failure."""
    snippet = readme_block(readme, "gitlab")
    template = yaml.safe_load(open(template_path, encoding="utf-8"))
    includes = snippet.get("include") or []
    if not any(os.path.basename(i.get("local", "")) == os.path.basename(template_path) for i in includes):
        fail(f"the GitLab snippet does not include {os.path.basename(template_path)}")
    jobs = [(k, v) for k, v in snippet.items() if isinstance(v, dict) and "extends" in v]
    if len(jobs) != 1:
        fail("the GitLab snippet must define exactly one job that extends the template")
    name, job = jobs[0]
    base = template.get(job["extends"])
    if base is None:
        fail(f"the template has no `{job['extends']}` job")
    variables = dict(base.get("variables") or {})
    variables.update(job.get("variables") or {})
    report = base["artifacts"]["reports"]["codequality"]
    lines = ["set -e"]
    lines += [f"export {k}={shlex.quote(str(v))}" for k, v in variables.items()]
    lines += [f"echo {shlex.quote('$ ' + l)}; {l}" for l in (job.get("script") or base["script"])]
    print(f"# job {name}; Code Quality report: {report}")
    print("\n".join(lines))


def findings(path):
    return json.load(open(path, encoding="utf-8"))["findings"]


def action_run(report_path, workspace, findings_path, expect_exit):
    report = json.load(open(report_path, encoding="utf-8"))
    steps = {s["name"]: s for s in report["steps"]}
    expected = findings(findings_path)
    check = steps.get("Run dusk check")
    if not check or not check["ran"] or check["exit_code"] != 0:
        fail(f"the check step did not run cleanly: {check}")
    if report["outputs"]["exit-code"] != expect_exit:
        fail(f"exit-code output {report['outputs']['exit-code']!r}, expected {expect_exit!r}")
    if report["success"] != (expect_exit == "0"):
        fail(f"the job's success is {report['success']} with dusk exit {expect_exit}")
    upload = next((s for s in report["steps"] if "upload-sarif" in s.get("uses", "")), None)
    if not upload or not upload["ran"]:
        fail("the SARIF upload step would not run")
    sarif_path = upload["with"].get("sarif_file", "")
    if sarif_path != report["outputs"]["sarif"] or not os.path.isfile(sarif_path):
        fail(f"the upload step's sarif_file `{sarif_path}` is not the report dusk wrote")
    # What code scanning's upload needs: SARIF 2.1.0, one run with a named tool, results whose
    # rule is declared, and locations relative to the checkout with 1-based lines.
    if os.path.getsize(sarif_path) > 10 * 1024 * 1024:
        fail("the SARIF file is larger than code scanning's 10 MB limit")
    sarif = json.load(open(sarif_path, encoding="utf-8"))
    if sarif.get("version") != "2.1.0" or "sarif" not in sarif.get("$schema", ""):
        fail("not a SARIF 2.1.0 log")
    if len(sarif.get("runs", [])) != 1:
        fail("expected exactly one run")
    run = sarif["runs"][0]
    driver = run["tool"]["driver"]
    if driver.get("name") != "dusk" or not driver.get("version"):
        fail(f"tool.driver is {driver.get('name')!r} {driver.get('version')!r}")
    rule_ids = [r["id"] for r in driver.get("rules", [])]
    results = run.get("results", [])
    if len(results) != len(expected):
        fail(f"{len(results)} SARIF results, but `dusk check --format json` found {len(expected)}")
    for r in results:
        if r.get("ruleId") not in rule_ids or rule_ids.index(r["ruleId"]) != r.get("ruleIndex"):
            fail(f"result's rule {r.get('ruleId')!r} is not declared at its ruleIndex")
        if r.get("level") not in ("error", "warning", "note"):
            fail(f"result level {r.get('level')!r}")
        loc = r["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        if os.path.isabs(uri) or uri.startswith("..") or not os.path.isfile(os.path.join(workspace, uri)):
            fail(f"result location `{uri}` is not a file of the checkout")
        if loc["region"]["startLine"] < 1 or loc["region"].get("startColumn", 1) < 1:
            fail(f"result region {loc['region']}")
    # In a notebook SARIF points at the `.ipynb` line and keeps JSON's cell line in properties.
    def line(r):
        cell_line = r.get("properties", {}).get("cell_line")
        return cell_line or r["locations"][0]["physicalLocation"]["region"]["startLine"]
    got = sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                  line(r)) for r in results)
    want = sorted((f["rule"], f["path"], f["line"]) for f in expected)
    if got != want:
        fail("SARIF results differ from the JSON findings")
    annotations = [l for l in check["stdout"].splitlines() if re.match(r"::(error|warning|notice) file=", l)]
    if len(annotations) != len(expected):
        fail(f"{len(annotations)} annotations printed for {len(expected)} findings")
    print(f"action: exit-code {expect_exit}, {len(results)} SARIF results of {len(set(rule_ids))} rules, "
          f"{len(annotations)} annotations, upload of {os.path.basename(sarif_path)}")


def codequality(report_path, workspace, findings_path):
    issues = json.load(open(report_path, encoding="utf-8"))
    expected = findings(findings_path)
    if not isinstance(issues, list) or len(issues) != len(expected):
        fail(f"expected a JSON array of {len(expected)} issues")
    for i in issues:
        for key in ("description", "check_name", "fingerprint", "severity"):
            if not i.get(key):
                fail(f"an issue has no `{key}`: {i}")
        if i["severity"] not in ("info", "minor", "major", "critical", "blocker"):
            fail(f"severity {i['severity']!r}")
        path = i["location"]["path"]
        if not os.path.isfile(os.path.join(workspace, path)) or i["location"]["lines"]["begin"] < 1:
            fail(f"location {i['location']}")
    if len({i["fingerprint"] for i in issues}) != len(issues):
        fail("fingerprints are not unique")
    print(f"gitlab: {len(issues)} Code Quality issues")


def main(argv):
    commands = {
        "readme-inputs": (readme_inputs, 1),
        "gitlab-job": (gitlab_job, 2),
        "action-run": (action_run, 4),
        "codequality": (codequality, 3),
    }
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        fail(__doc__)
    commands[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
