"""Where the real sample data lives: the installed ``crime-sim-toolkit`` package.

It ships data.police.uk street-level crimes for West Yorkshire (July 2016, 2017, 2018),
the LSOA -> MSOA -> local authority -> police force lookup, census 2011 population by LSOA
and Home Office police recorded crime by force for 2017/18. Contains public sector
information licensed under the Open Government Licence v3.0.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(data.police.uk street-level crime, ONS census 2011, Home Office police recorded crime), "
    "as packaged by crime-sim-toolkit."
)
SAMPLE_FORCE = "west-yorkshire"
SAMPLE_MONTHS = ("2016-07", "2017-07", "2018-07")


def package_root() -> Path:
    spec = find_spec("crime_sim_toolkit")
    if spec is None or spec.origin is None:
        raise RuntimeError("crime-sim-toolkit is not installed: pip install crime-sim-toolkit==1.5.0")
    return Path(spec.origin).parent


def street_files() -> list[Path]:
    base = package_root() / "tests" / "testing_data" / "test_policedata"
    return [base / month / f"{month}-west-yorkshire-street.csv" for month in SAMPLE_MONTHS]


def lsoa_lookup_file() -> Path:
    return package_root() / "src" / "LSOA_data" / "PoliceforceLSOA.csv"


def population_file() -> Path:
    return package_root() / "src" / "LSOA_data" / "census_2011_population_hh.csv"


def recorded_crime_by_force_file() -> Path:
    return package_root() / "src" / "prc-pfa-201718_new.csv"
