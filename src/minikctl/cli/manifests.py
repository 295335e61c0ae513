"""Reading manifests as kubectl does: -f FILE, -f DIR (only .yaml/.yml/.json), -R,
-f - (stdin); multi-document YAML, JSON, and `kind: List`. Parse errors name the file,
line and column; locate() finds the line of a field for validation messages."""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass

from minikctl import errors

EXTENSIONS = (".yaml", ".yml", ".json")
# A Kubernetes API server refuses any object over 3 MiB; a manifest file far larger
# than that is a mistake (a log, a dump), and parsing it would take minutes.
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class Document:
    obj: object
    source: str  # the file as the user named it, or "STDIN"
    index: int  # position among the file's documents
    text: str  # the whole file, for locate()

    def where(self, field: str = "") -> str:
        line = locate(self, field) if field else None
        return f"{self.source}:{line}" if line else self.source


def _loader():  # type: ignore[no-untyped-def]
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def files_of(filenames: list[str], recursive: bool) -> list[str]:
    out: list[str] = []
    for name in filenames:
        if name == "-":
            out.append(name)
        elif re.match(r"^https?://", name):
            raise errors.ManifestError(f'unable to read URL "{name}": minikctl reads local files only')
        elif os.path.isdir(name):
            out.extend(_walk(name, recursive))
        elif os.path.exists(name):
            out.append(name)
        else:
            raise errors.ManifestError(f'the path "{name}" does not exist')
    return out


def _walk(directory: str, recursive: bool) -> list[str]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(EXTENSIONS))
        if not recursive:
            break
    return found


def read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise errors.ManifestError(
                f"{path} is {size / 1048576:.1f} MiB: manifests over {MAX_FILE_BYTES // 1048576} MiB are refused "
                "(a Kubernetes API server refuses any object over 3 MiB)")
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        raise errors.ManifestError(f"error reading {path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise errors.ManifestError(f"error reading {path}: {exc.strerror}") from None


def parse(text: str, source: str) -> list[Document]:
    import yaml

    if len(text) > MAX_FILE_BYTES:
        raise errors.ManifestError(f"{source}: input over {MAX_FILE_BYTES // 1048576} MiB refused")
    try:
        raw = list(yaml.load_all(text, Loader=_loader()))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise errors.ManifestError(f"error parsing {source}: {at}{problem}") from None
    except yaml.YAMLError as exc:
        raise errors.ManifestError(f"error parsing {source}: {exc}") from None
    docs = []
    for index, obj in enumerate(raw):
        if obj is None:
            continue
        if isinstance(obj, dict) and obj.get("kind") == "List" and isinstance(obj.get("items"), list):
            docs.extend(Document(item, source, index, text) for item in obj["items"])
        else:
            docs.append(Document(obj, source, index, text))
    return docs


def read(filenames: list[str], recursive: bool = False) -> list[Document]:
    if not filenames:
        raise errors.UsageError("must specify one of -f and -k")
    docs: list[Document] = []
    for path in files_of(filenames, recursive):
        source = "STDIN" if path == "-" else path
        docs.extend(parse(read_text(path), source))
    if not docs:
        raise errors.ManifestError("no objects passed to apply")
    return docs


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def locate(doc: Document, field: str) -> int | None:
    """The 1-based line of `field` (e.g. spec.template.spec.containers[0].image) in the
    document, or of its nearest existing parent. Only used on the error path."""
    import yaml

    try:
        nodes = list(yaml.compose_all(doc.text, Loader=_loader()))
        node = nodes[doc.index]
    except (yaml.YAMLError, IndexError):
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for name, idx in _PART.findall(field):
        if isinstance(node, yaml.MappingNode) and name:
            match = next((v for k, v in node.value if k.value == name), None)
            key = next((k for k, v in node.value if k.value == name), None)
            if match is None:
                break
            line, node = key.start_mark.line + 1, match
        elif isinstance(node, yaml.SequenceNode) and idx:
            i = int(idx)
            if i >= len(node.value):
                break
            node = node.value[i]
            line = node.start_mark.line + 1
        else:
            break
    return line
