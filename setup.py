"""Which packages the wheel holds; everything else about the build is in pyproject.toml.

The shipped data (schemas, measures, lexicon, fonts) is kept in the top-level resources/
folder and installed as the package ``clinic_app.resources`` (pyproject.toml maps the
folder and names its files). setuptools' package discovery finds folders only under
their own names, so that one package is added to what it finds here.
"""

from setuptools import find_namespace_packages, setup

setup(packages=[*find_namespace_packages(include=["clinic_app*"]), "clinic_app.resources"])
