#!/usr/bin/env python3
# NOT RUN IN THIS REPOSITORY'S BUILD OR TESTS. Needs Python 3 with torch 1.13.x (see docs/MODELS.md).
#
# Writes an Ensemble model manifest (docs/MODELS.md, "The manifest") next to exported TorchScript
# files: the sha256 of each file and the input/output names and shapes the C++ side checks by a dry run.
import hashlib
import json
import os

MANIFEST_VERSION = 1


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tensor(name, shape, dtype=None):
    t = {"name": name, "shape": list(shape)}
    if dtype:
        t["dtype"] = dtype
    return t


def write_manifest(out_dir, manifest_name, family, name, version, input_size, mean, std, embedding_dim,
                   files, tokenizer=None):
    """files: {role: (file_name, inputs, outputs)}; paths are relative to out_dir."""
    m = {
        "manifest_version": MANIFEST_VERSION,
        "family": family,
        "name": name,
        "version": version,
        "input_size": input_size,
        "mean": list(mean),
        "std": list(std),
        "embedding_dim": embedding_dim,
        "files": {},
    }
    for role, (file_name, inputs, outputs) in files.items():
        m["files"][role] = {
            "file": file_name,
            "sha256": sha256_of(os.path.join(out_dir, file_name)),
            "inputs": inputs,
            "outputs": outputs,
        }
    if tokenizer:
        m["tokenizer"] = tokenizer
    path = os.path.join(out_dir, manifest_name)
    with open(path, "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    print("wrote", path)
    return path
