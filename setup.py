"""The repository root is the `talkrig` package: map it and list every subpackage below it."""

from setuptools import find_packages, setup

SUBPACKAGES = find_packages(where=".", exclude=["tests", "tests.*", "benchmarks", "benchmarks.*",
                                                 "recipes", "recipes.*", "build", "build.*",
                                                 "examples", "examples.*"])

setup(
    package_dir={"talkrig": "."},
    packages=["talkrig"] + [f"talkrig.{name}" for name in SUBPACKAGES],
)
