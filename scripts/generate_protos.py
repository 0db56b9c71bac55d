"""Generates the Python stubs for protos/coupon/v1, or checks the checked-in ones for drift."""

from __future__ import annotations

import argparse
import filecmp
import pathlib
import shutil
import sys
import tempfile

import grpc_tools
from google.api import annotations_pb2
from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"


def _generate(out_dir: pathlib.Path) -> None:
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    googleapis = pathlib.Path(annotations_pb2.__file__).parent.parent.parent
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.glob("coupon/v1/*.proto"))
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{googleapis}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")
    for package in (out_dir / "coupon", out_dir / "coupon" / "v1"):
        (package / "__init__.py").write_text('"""Generated from protos/; run `make proto`."""\n')
    # PEP 561: the `.pyi` files beside the modules are their types, for whoever installs them.
    (out_dir / "coupon" / "py.typed").write_text("")


def _drift(generated: pathlib.Path, checked_in: pathlib.Path, prefix: str = "") -> list[str]:
    """The entries of one folder that differ or are on one side only (subfolders not entered)."""
    if not checked_in.is_dir():
        return [f"{prefix or checked_in.name} (missing)"]
    compare = filecmp.dircmp(generated, checked_in, ignore=["__pycache__"])
    return [
        prefix + name
        for name in sorted(compare.diff_files + compare.left_only + compare.right_only)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    parser.add_argument(
        "target", help="the generated `coupon` package folder, relative to the repo root"
    )
    args = parser.parse_args()
    target = ROOT / args.target
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp)
        _generate(out)
        generated = out / "coupon"
        if args.check:
            drift = _drift(generated, target) + _drift(generated / "v1", target / "v1", "v1/")
            if drift:
                sys.exit(f"generated stubs drifted from protos/: {drift}; run `make proto`")
            print("generated stubs match protos/")
            return
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(generated, target)


if __name__ == "__main__":
    main()
