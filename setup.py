"""The compiled parts of pxStats (the metadata is in pyproject.toml).

`pip install -e .` (make setup) builds them in place; they need a C compiler and the Python
headers (Debian: gcc python3-dev). Without them the build is skipped with a warning and
pxStats runs on its numpy scanner and statistics (slower, same results)."""

from setuptools import Extension, setup

FLAGS = ["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-missing-field-initializers"]

setup(
    ext_modules=[
        Extension(
            "pxstats.collect._scan",
            ["pxstats/collect/_scan.c"],
            extra_compile_args=FLAGS,
            optional=True,
        ),
        Extension(
            "pxstats.stats._stats",
            ["pxstats/stats/_stats.c"],
            extra_compile_args=FLAGS,
            optional=True,
        ),
    ]
)
