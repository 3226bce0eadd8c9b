"""Build the deployable AWS Lambda zip from ``sweeplib`` plus pinned wheels.

``python -m lambda_pkg build`` turns this repository into ``dist/sweep-lambda.zip`` for the
Lambda Python 3.12 runtime:

1. check that the lock (``lambda_pkg/requirements-lambda.txt``) matches pyproject.toml's
   Lambda requirements (the base dependencies plus the ``aws`` extra minus what the
   runtime provides, i.e. boto3);
2. ``pip install --target`` the locked wheels for the Lambda platform (hash-checked,
   binary-only, ``--python-version 3.12``, manylinux tags of the chosen architecture);
3. copy the ``sweeplib`` package (``.py`` files plus pyproject's package data) and, on a
   host of the target's architecture, add the kernel compiled with mypyc for 3.12
   (:mod:`lambda_pkg.compiled`; ADR 0021);
4. trim what the runtime never loads (:mod:`lambda_pkg.trim`);
5. strip pyarrow's and h3's shared libraries and the compiled kernel (never numpy's);
6. precompile bytecode with a 3.12 interpreter (``unchecked-hash`` .pyc: valid on the
   read-only code directory without mtimes);
7. refuse forbidden distributions (pandas, scipy, duckdb, sqlglot, boto3, botocore…) and
   compiled modules that would need a glibc newer than Lambda's 2.34;
8. write a deterministic zip (:mod:`lambda_pkg.archive`) and check the size limits.

``python -m lambda_pkg lock`` regenerates the lock with pip's resolver for both
architectures. pyproject.toml says *which* packages; the lock says *which versions*.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
