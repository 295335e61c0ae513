"""Conformance: minikctl's validation against a Kubernetes 1.32 oracle, on real manifests.

The corpus (../shared/corpus, see its README.md) holds real-world manifests and mutated
variants, with index.json recording, per document, the verdict of a schema oracle
(kubernetes-validate against the 1.32 schemas, strict mode) and, for mutations, what a
real API server does (`real_kubernetes_expected`). For every row we expect:

- yaml-error rows: the file does not parse (yaml.safe_load_all raises);
- no-schema rows (apiVersions 1.32 no longer serves): NoKindMatch, worded as kubectl;
- oracle-error rows (e.g. no apiVersion): rejection of any kind;
- rows the oracle rejects: rejection naming a field the oracle names (our
  `spec.containers[0].name` is its `spec.containers.0.name`; its path may stop at the
  parent object whose property is missing or unexpected);
- mutations a real API server rejects ("server-side rule"): rejection, naming the
  mutated field;
- originals whose row records server-side findings (`server_side_findings_emulated`,
  the corpus' own notes on API-server rules the schema cannot see): rejection;
- everything else: acceptance.

The oracle only knows the schema, so a few originals it accepts are rejected by a real
API server too (placeholders such as "$SA_NAME" in names, "tcp" protocols...): those stay
counted as disagreements and are printed with the rest. The test prints the agreement
rate and every disagreement, and requires at least 95%.
"""
from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass, field

import pytest
import yaml

from minikctl import errors
from minikctl.api import validation

CORPUS = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
REQUIRED_AGREEMENT = 0.95

# The field a mutation breaks, for the server-side mutations (by mutation_type).
MUTATED_FIELD = {
    "uppercase_name": re.compile(r"^metadata\.name$"),
    "bad_label_value": re.compile(r"^metadata\.labels$"),
    "selector_mismatch": re.compile(r"^spec\.template\.metadata\.labels$"),
    "negative_port": re.compile(r"(containerPort|\.port)$"),
}


@dataclass
class Outcome:
    row: dict
    expected: str
    got: list[str] = field(default_factory=list)
    agrees: bool = False
    why: str = ""


def _corpus() -> tuple[list[dict], pathlib.Path]:
    if not (CORPUS / "index.json").is_file():
        pytest.skip("../shared/corpus not found: the conformance corpus is only present beside the repo "
                    "in CI and dev sessions")
    return json.loads((CORPUS / "index.json").read_text())["entries"], CORPUS


def oracle_path(path: str) -> str:
    """Our `spec.containers[0].ports[1]` / `data[tls.crt]` as the oracle's dotted path."""
    return re.sub(r"\[([^\]]*)\]", r".\1", path)


def names_field(ours: list[str], theirs: list[str]) -> bool:
    """Does one of our cause paths name one of the oracle's (same field, or a field under
    the object the oracle points at)?"""
    for mine in map(oracle_path, ours):
        for other in theirs:
            if mine == other or mine.startswith(other + ".") or other.startswith(mine + "."):
                return True
            if not other and mine:  # the oracle's error is about the whole document
                return True
    return False


def expected_verdict(row: dict) -> str:
    verdict = row["oracle_strict_verdict"]
    if verdict in ("yaml-error", "no-schema", "oracle-error", "invalid"):
        return verdict
    if row.get("real_kubernetes_expected") == "reject" or row.get("server_side_findings_emulated"):
        return "server-side"
    return "valid"


def load_document(root: pathlib.Path, row: dict, cache: dict) -> object:
    name = row["file"]
    if name not in cache:
        cache[name] = list(yaml.safe_load_all((root / name).read_text(encoding="utf-8")))
    return cache[name][row["document_index"]]


def judge(root: pathlib.Path, row: dict, cache: dict) -> Outcome:
    out = Outcome(row, expected_verdict(row))
    if out.expected == "yaml-error":
        try:
            list(yaml.safe_load_all((root / row["file"]).read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            out.got, out.agrees = [f"YAML error: {str(exc).splitlines()[0]}"], True
        else:
            out.got, out.why = ["parsed"], "the file parses, the oracle could not"
        return out
    obj = load_document(root, row, cache)
    try:
        _, causes, _ = validation.validate(obj)
    except errors.NoKindMatch as exc:
        out.got = [f"NoKindMatch: {exc}"]
        wanted = f'no matches for kind "{row["kind"]}" in version "{row["apiVersion"]}"'
        out.agrees = out.expected == "no-schema" and str(exc) == wanted
        out.why = "" if out.agrees else "unexpected NoKindMatch"
        return out
    except errors.MinikctlError as exc:
        out.got = [f"{type(exc).__name__}: {exc}"]
        out.agrees = out.expected == "oracle-error"
        out.why = "" if out.agrees else "rejected before validation"
        return out
    out.got = [c.render() for c in causes]
    paths = [c.field for c in causes]
    return _compare(out, paths)


def _compare(out: Outcome, paths: list[str]) -> Outcome:
    row, rejected = out.row, bool(out.got)
    if out.expected == "valid":
        out.agrees, out.why = not rejected, "rejected what the oracle accepts"
    elif out.expected == "invalid":
        theirs = [e["path"] for e in row.get("oracle_strict_all_errors") or []]
        out.agrees = rejected and names_field(paths, theirs)
        out.why = "accepted" if not rejected else f"did not name the oracle's field(s) {theirs}"
    elif out.expected == "server-side":
        pattern = MUTATED_FIELD.get(row.get("mutation_type") or "")
        named = pattern is None or any(pattern.search(p) for p in paths)
        out.agrees = rejected and named
        out.why = "accepted what Kubernetes rejects" if not rejected else "did not name the mutated field"
    else:  # no-schema / oracle-error rows that validated
        out.why = f"expected {out.expected}"
    if out.agrees:
        out.why = ""
    return out


def test_corpus_agreement(capsys: pytest.CaptureFixture[str]) -> None:
    rows, root = _corpus()
    cache: dict = {}
    outcomes = [judge(root, row, cache) for row in rows]
    agreed = sum(o.agrees for o in outcomes)
    rate = agreed / len(outcomes)
    with capsys.disabled():
        print(f"\nconformance: {agreed}/{len(outcomes)} rows agree ({rate:.1%})")
        for o in outcomes:
            if not o.agrees:
                r = o.row
                print(f"  DISAGREE {r['file']} doc {r['document_index']} ({r['kind']}): expected {o.expected}; "
                      f"{o.why}; got: {o.got[:3] or 'accepted'}")
    assert rate >= REQUIRED_AGREEMENT, f"agreement {rate:.1%} is below {REQUIRED_AGREEMENT:.0%}"


def test_every_verdict_kind_is_exercised() -> None:
    """The corpus keeps covering what this test relies on."""
    rows, _ = _corpus()
    seen = {expected_verdict(r) for r in rows}
    assert {"valid", "invalid", "server-side", "no-schema", "yaml-error"} <= seen


@pytest.mark.parametrize(("ours", "theirs", "named"), [
    pytest.param(["spec.containers[0].ports[0].containerPort"], ["spec.containers.0.ports.0.containerPort"], True,
                 id="same-field"),
    pytest.param(["spec.selector"], ["spec"], True, id="missing-property-under-parent"),
    pytest.param(["spec.template.spec.containers[0].imagePullPolcy"], ["spec.template.spec.containers.0"], True,
                 id="unknown-property-under-parent"),
    pytest.param(["data[tls.crt]"], ["data.tls.crt"], True, id="map-key"),
    pytest.param(["metadata.name"], ["spec.replicas"], False, id="other-field"),
    pytest.param(["spec.replicasX"], ["spec.replicas"], False, id="prefix-is-not-a-parent"),
])
def test_path_mapping(ours: list[str], theirs: list[str], named: bool) -> None:
    assert names_field(ours, theirs) is named
