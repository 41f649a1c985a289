"""Validation of response bodies against Veeam's published OpenAPI 3.0 documents.

The documents live in <repo>/../shared/reference (DESIGN §11); they are read from there, never
copied into the repository. OpenAPI 3.0 schemas are not quite JSON Schema, so each component
schema is converted once per document:

- `$ref: #/components/schemas/X` becomes `#/definitions/X` and is resolved by jsonschema itself
  (so recursive models need no special care);
- `nullable: true` becomes a union with null (type list, enum gets None, or anyOf for $ref/allOf);
- OpenAPI-only keywords (discriminator, example, xml, readOnly, writeOnly, deprecated, x-*) go;
- a polymorphic model (`oneOf` + `discriminator`, VBR's TaskSessionModel) is split into
  `X__base` (its own properties) and `X` = base plus an if/then per discriminator value, and
  references to X inside the allOf of the mapped models point at `X__base`. Without that, the
  oneOf over allOf's that include X itself recurses forever / never validates.

Formats are checked by small checkers of our own (uuid, date-time, int32, int64), because
jsonschema's FormatChecker skips `uuid` for draft 7 and needs extra packages for `date-time`.

Public API:
    validate(version, schema_name, body)   VBR version '1.0-rev2' | '1.1-rev0' | '1.2-rev1' | '1.3-rev2'
    validate_doc(doc_key, schema_name, body)  any document key in DOCS (e.g. 'vbaz-8.1')
    ReferenceMissing                       raised when the reference folder is absent
"""
import copy
import json
import os
import re

import jsonschema

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REFERENCE_DIR = os.environ.get(
    "SESSIOND_REFERENCE_DIR", os.path.abspath(os.path.join(REPO, "..", "shared", "reference")))

VBR_VERSIONS = ("1.0-rev2", "1.1-rev0", "1.2-rev1", "1.3-rev2")

# document key -> (subset file, full file); the full file is the fallback when a schema is
# missing from the subset (loaded lazily: the 1.3-rev2 file is 4 MB).
DOCS = {v: ("vbr-rest-%s.sessions-subset.openapi.json" % v, "vbr-rest-%s.openapi.json" % v)
        for v in VBR_VERSIONS}
DOCS["vbaz-8.1"] = ("vbazure-rest-v8.1.jobSessions-subset.openapi.json",
                    "vbazure-rest-v8.1.openapi.json")

DROP = {"discriminator", "example", "examples", "xml", "readOnly", "writeOnly", "deprecated",
        "externalDocs", "nullable"}


class ReferenceMissing(Exception):
    pass


def reference_available():
    return os.path.isdir(REFERENCE_DIR) and all(
        os.path.isfile(os.path.join(REFERENCE_DIR, DOCS[v][0])) for v in VBR_VERSIONS)


# ---------------------------------------------------------------------------------------------
# formats

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATE_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$")

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())


@FORMAT_CHECKER.checks("uuid")
def is_uuid(value):
    return not isinstance(value, str) or bool(UUID_RE.match(value))


@FORMAT_CHECKER.checks("date-time")
def is_date_time(value):
    """RFC 3339 date-time (the JSON Schema meaning of `date-time`)."""
    if not isinstance(value, str):
        return True
    m = DATE_TIME_RE.match(value)
    if not m:
        return False
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 60):
        return False
    mdays = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30,
             31, 31, 30, 31, 30, 31][mo - 1]
    if d > mdays:
        return False
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    return True


@FORMAT_CHECKER.checks("int32")
def is_int32(value):
    return not isinstance(value, int) or -2**31 <= value < 2**31


@FORMAT_CHECKER.checks("int64")
def is_int64(value):
    return not isinstance(value, int) or -2**63 <= value < 2**63


# ---------------------------------------------------------------------------------------------
# OpenAPI 3.0 -> JSON Schema (draft 7)

REF_PREFIX = "#/components/schemas/"


def _ref_name(ref):
    if not ref.startswith(REF_PREFIX):
        raise ValueError("unsupported $ref %r" % ref)
    return ref[len(REF_PREFIX):]


def _convert(node, polymorphic, in_allof_of=None):
    """Return a converted copy of one OpenAPI schema node."""
    if isinstance(node, list):
        return [_convert(x, polymorphic) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in DROP or k.startswith("x-"):
            continue
        if k == "$ref":
            name = _ref_name(v)
            if in_allof_of is not None and name in polymorphic:
                name += "__base"
            out["$ref"] = "#/definitions/" + name
        elif k in ("properties", "patternProperties", "definitions"):
            out[k] = {pk: _convert(pv, polymorphic) for pk, pv in v.items()}
        elif k == "allOf":
            out[k] = [_convert(x, polymorphic, in_allof_of=True) for x in v]
        elif k in ("items", "additionalProperties", "not", "oneOf", "anyOf"):
            out[k] = _convert(v, polymorphic)
        else:
            out[k] = copy.deepcopy(v)
    if node.get("nullable") is True:
        out = _make_nullable(out)
    return out


def _make_nullable(s):
    if "$ref" in s or "allOf" in s or "oneOf" in s or "anyOf" in s or "type" not in s:
        return {"anyOf": [s, {"type": "null"}]}
    s = dict(s)
    t = s["type"]
    s["type"] = (t if isinstance(t, list) else [t]) + ["null"]
    if "enum" in s and None not in s["enum"]:
        s["enum"] = list(s["enum"]) + [None]
    return s


def convert_document(doc):
    """Convert every component schema of an OpenAPI 3.0 document into draft-7 definitions."""
    schemas = doc.get("components", {}).get("schemas", {})
    polymorphic = {n for n, s in schemas.items()
                   if isinstance(s, dict) and "discriminator" in s and "oneOf" in s}
    defs = {}
    for name, s in schemas.items():
        if name in polymorphic:
            base = {k: v for k, v in s.items() if k not in ("oneOf", "discriminator")}
            defs[name + "__base"] = _convert(base, polymorphic)
            disc = s["discriminator"]
            prop = disc["propertyName"]
            mapping = disc.get("mapping") or {
                _ref_name(o["$ref"]): o["$ref"] for o in s["oneOf"]}
            branches = []
            for value, ref in mapping.items():
                branches.append({
                    "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                    "then": {"$ref": "#/definitions/" + _ref_name(ref)},
                })
            poly = {"allOf": [{"$ref": "#/definitions/%s__base" % name},
                              {"required": [prop],
                               "properties": {prop: {"enum": sorted(mapping)}}}] + branches}
            if s.get("nullable") is True:
                poly = _make_nullable(poly)
            defs[name] = poly
        else:
            defs[name] = _convert(s, polymorphic)
    return defs


# ---------------------------------------------------------------------------------------------
# loading and validating

_loaded = {}  # (doc_key, 'subset'|'full') -> definitions
_validators = {}  # (doc_key, schema_name) -> validator


def _load(doc_key, which):
    key = (doc_key, which)
    if key not in _loaded:
        if not os.path.isdir(REFERENCE_DIR):
            raise ReferenceMissing("reference folder %s is missing (DESIGN §11)" % REFERENCE_DIR)
        fname = DOCS[doc_key][0 if which == "subset" else 1]
        path = os.path.join(REFERENCE_DIR, fname)
        if not os.path.isfile(path):
            raise ReferenceMissing("reference file %s is missing" % path)
        with open(path, encoding="utf-8-sig") as f:
            _loaded[key] = convert_document(json.load(f))
    return _loaded[key]


def definitions_for(doc_key, schema_name):
    """Definitions of the subset, or of the full document when the subset lacks the schema."""
    if doc_key not in DOCS:
        raise KeyError("unknown document %r (known: %s)" % (doc_key, ", ".join(DOCS)))
    defs = _load(doc_key, "subset")
    if schema_name in defs:
        return defs
    defs = _load(doc_key, "full")
    if schema_name in defs:
        return defs
    raise KeyError("schema %r is in neither the subset nor the full document of %s"
                   % (schema_name, doc_key))


def validator_for(doc_key, schema_name):
    key = (doc_key, schema_name)
    if key not in _validators:
        defs = definitions_for(doc_key, schema_name)
        root = {"$schema": "http://json-schema.org/draft-07/schema#",
                "definitions": defs, "$ref": "#/definitions/" + schema_name}
        _validators[key] = jsonschema.Draft7Validator(root, format_checker=FORMAT_CHECKER)
    return _validators[key]


class SchemaError(AssertionError):
    pass


def errors(doc_key, schema_name, body):
    """All validation errors as readable strings (empty list when valid)."""
    v = validator_for(doc_key, schema_name)
    out = []
    for e in sorted(v.iter_errors(body), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append("%s: %s" % (path, e.message))
        # for allOf/if-then failures show the deepest cause too
        for sub in e.context or ():
            spath = "/".join(str(p) for p in sub.absolute_path) or "(root)"
            out.append("    %s: %s" % (spath, sub.message))
    return out


def validate_doc(doc_key, schema_name, body):
    errs = errors(doc_key, schema_name, body)
    if errs:
        shown = json.dumps(body)[:1500]
        raise SchemaError("body is not a valid %s %s:\n  %s\nbody: %s"
                          % (doc_key, schema_name, "\n  ".join(errs[:20]), shown))


def validate(version, schema_name, body):
    """Validate `body` against VBR `version`'s `schema_name`; raise SchemaError when invalid."""
    if version not in VBR_VERSIONS:
        raise KeyError("no reference document for VBR version %r (have %s)"
                       % (version, ", ".join(VBR_VERSIONS)))
    validate_doc(version, schema_name, body)


def schema_version_for(version):
    """The reference document that describes an x-api-version we send (1.0-rev1 -> 1.0-rev2)."""
    if version in VBR_VERSIONS:
        return version
    major = version.split("-")[0]
    for v in VBR_VERSIONS:
        if v.startswith(major + "-"):
            return v
    raise KeyError(version)
