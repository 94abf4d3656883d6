#!/usr/bin/env python3
"""Run a composite GitHub Action's shell steps the way a runner does, without GitHub.

    run-action.py ACTION_DIR WORKSPACE [--input NAME=VALUE]... [--report FILE]

Reads ACTION_DIR/action.yml, fills in the inputs (given, else their defaults) and runs each
`run:` step with `bash --noprofile --norc -eo pipefail` in WORKSPACE, with GITHUB_OUTPUT,
GITHUB_PATH, GITHUB_ENV, GITHUB_STEP_SUMMARY, RUNNER_TEMP and GITHUB_ACTION_PATH set as a
runner sets them. Step outputs and PATH additions carry over to later steps; `if:` conditions
are evaluated (`always()`, `success()`, `failure()`, `==`, `!=`, `&&`, `||`, `!`, parentheses,
`inputs.*`, `steps.*.outputs.*`, `github.*`, `runner.*`). A `uses:` step is not run: its
resolved `with:` is recorded, so a test can check what it would have been given (the SARIF
file an upload would send). A step whose `shell` is not bash is an error.

Writes a JSON report (to --report, else stdout): every step with its name, whether it ran, its
exit code, stdout, `with`, and the action's outputs; exits 0 when the runner's job would
succeed, else 1. Only PyYAML beyond the standard library (pre-commit brings it).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))"
    r"|(?P<call>[A-Za-z_][\w-]*\(\))|(?P<ref>[A-Za-z_][\w.-]*))"
)


class Context:
    def __init__(self, inputs, action_path, temp, workspace):
        self.inputs = inputs
        self.steps = {}
        self.github = {"action_path": action_path, "workspace": workspace}
        self.runner = {"temp": temp, "os": "Linux"}
        self.failed = False

    def lookup(self, ref):
        parts = ref.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return self.inputs.get(parts[1], "")
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        if parts[0] in ("github", "runner") and len(parts) == 2:
            return getattr(self, parts[0]).get(parts[1], "")
        if ref in ("true", "false"):
            return ref == "true"
        raise SystemExit(f"run-action: unsupported expression `{ref}`")


def tokens(text):
    pos, out = 0, []
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise SystemExit(f"run-action: cannot read expression `{text}` at {pos}")
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
    return out


def evaluate(text, cx):
    """Evaluate one `${{ }}` expression: GitHub's operators over strings and booleans."""
    toks = tokens(text)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else (None, None)

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def truthy(v):
        return v not in (False, "", None, 0)

    def primary():
        kind, val = take()
        if kind == "str":
            return val[1:-1].replace("''", "'")
        if kind == "call":
            name = val[:-2]
            if name == "always":
                return True
            if name == "success":
                return not cx.failed
            if name == "failure":
                return cx.failed
            raise SystemExit(f"run-action: unsupported function `{val}`")
        if kind == "ref":
            return cx.lookup(val)
        if val == "!":
            return not truthy(primary())
        if val == "(":
            v = disjunction()
            take()
            return v
        raise SystemExit(f"run-action: unexpected `{val}` in `{text}`")

    def comparison():
        left = primary()
        while peek()[1] in ("==", "!="):
            op = take()[1]
            right = primary()
            same = str(left).lower() == str(right).lower()
            left = same if op == "==" else not same
        return left

    def conjunction():
        v = comparison()
        while peek()[1] == "&&":
            take()
            r = comparison()
            v = r if truthy(v) else v
        return v

    def disjunction():
        v = conjunction()
        while peek()[1] == "||":
            take()
            r = conjunction()
            v = v if truthy(v) else r
        return v

    value = disjunction()
    if pos != len(toks):
        raise SystemExit(f"run-action: trailing tokens in `{text}`")
    return value


def substitute(text, cx):
    def one(m):
        v = evaluate(m.group(1), cx)
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    return EXPR.sub(one, str(text))


def condition(text, cx):
    if text is None:
        return not cx.failed
    text = str(text).strip()
    m = EXPR.fullmatch(text)
    expr = m.group(1) if m else text
    # As on GitHub, a condition without a status function implies `success() &&`.
    if not re.search(r"\b(always|success|failure|cancelled)\(\)", expr):
        expr = f"success() && ({expr})"
    v = evaluate(expr, cx)
    return v not in (False, "", None, 0)


def read_outputs(path):
    """GITHUB_OUTPUT: `name=value` lines and `name<<DELIM` heredocs."""
    out = {}
    lines = open(path, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            i += 1
            body = []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            out[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action_dir")
    ap.add_argument("workspace")
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--report")
    args = ap.parse_args()
    action_dir = os.path.abspath(args.action_dir)
    workspace = os.path.abspath(args.workspace)
    action = yaml.safe_load(open(os.path.join(action_dir, "action.yml"), encoding="utf-8"))
    if action.get("runs", {}).get("using") != "composite":
        raise SystemExit("run-action: not a composite action")
    declared = action.get("inputs") or {}
    inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    for item in args.input:
        name, _, value = item.partition("=")
        if name not in declared:
            raise SystemExit(f"run-action: the action has no input `{name}`")
        inputs[name] = value
    temp = tempfile.mkdtemp(prefix="runner-temp-")
    cx = Context(inputs, action_dir, temp, workspace)
    files = {k: os.path.join(temp, f"_{k.lower()}") for k in ("OUTPUT", "PATH", "ENV", "STEP_SUMMARY")}
    extra_path, extra_env, report = [], {}, {"steps": []}
    for index, step in enumerate(action["runs"]["steps"]):
        name = step.get("name") or step.get("uses") or f"step {index + 1}"
        entry = {"name": name, "id": step.get("id"), "ran": False}
        report["steps"].append(entry)
        if not condition(step.get("if"), cx):
            continue
        entry["ran"] = True
        if "uses" in step:
            entry["uses"] = step["uses"]
            entry["with"] = {k: substitute(v, cx) for k, v in (step.get("with") or {}).items()}
            continue
        if step.get("shell") != "bash":
            raise SystemExit(f"run-action: step `{name}` needs shell `bash`")
        for f in files.values():
            open(f, "w").close()
        script = os.path.join(temp, f"step-{index}.sh")
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(substitute(step["run"], cx))
        env = dict(os.environ)
        env.update(extra_env)
        env.update({k: substitute(v, cx) for k, v in (step.get("env") or {}).items()})
        env.update(
            {
                "GITHUB_OUTPUT": files["OUTPUT"],
                "GITHUB_PATH": files["PATH"],
                "GITHUB_ENV": files["ENV"],
                "GITHUB_STEP_SUMMARY": files["STEP_SUMMARY"],
                "GITHUB_ACTION_PATH": action_dir,
                "GITHUB_WORKSPACE": workspace,
                "GITHUB_ACTIONS": "true",
                "RUNNER_TEMP": temp,
                "PATH": os.pathsep.join(extra_path + [env.get("PATH", "")]),
            }
        )
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
            cwd=workspace,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        sys.stderr.write(f"--- {name}: exit {done.returncode}\n{done.stdout}")
        entry.update({"exit_code": done.returncode, "stdout": done.stdout})
        if step.get("id"):
            cx.steps[step["id"]] = read_outputs(files["OUTPUT"])
        extra_path = [p for p in open(files["PATH"]).read().splitlines() if p] + extra_path
        extra_env.update(read_outputs(files["ENV"]))
        if done.returncode != 0:
            cx.failed = True
    report["outputs"] = {
        k: substitute(v.get("value", ""), cx) for k, v in (action.get("outputs") or {}).items()
    }
    report["success"] = not cx.failed
    text = json.dumps(report, indent=2)
    if args.report:
        open(args.report, "w", encoding="utf-8").write(text)
    else:
        print(text)
    return 0 if report["success"] else 1


if __name__ == "__main__":
    sys.exit(main())
