"""Police forces as data.police.uk names them (``/api/forces`` ids and names).

The ONS lookup spells forces its own way ("Metropolitan Police", "Devon and Cornwall");
``force_id_for`` maps those spellings to the police.uk ids the public API uses.
"""

from __future__ import annotations

import re

from watchhouse.areas.model import AreasError

# id -> name, as listed by https://data.police.uk/api/forces.
POLICE_UK_FORCES: dict[str, str] = {
    "avon-and-somerset": "Avon and Somerset Constabulary",
    "bedfordshire": "Bedfordshire Police",
    "btp": "British Transport Police",
    "cambridgeshire": "Cambridgeshire Constabulary",
    "cheshire": "Cheshire Constabulary",
    "city-of-london": "City of London Police",
    "cleveland": "Cleveland Police",
    "cumbria": "Cumbria Constabulary",
    "derbyshire": "Derbyshire Constabulary",
    "devon-and-cornwall": "Devon & Cornwall Police",
    "dorset": "Dorset Police",
    "durham": "Durham Constabulary",
    "dyfed-powys": "Dyfed-Powys Police",
    "essex": "Essex Police",
    "gloucestershire": "Gloucestershire Constabulary",
    "greater-manchester": "Greater Manchester Police",
    "gwent": "Gwent Police",
    "hampshire": "Hampshire Constabulary",
    "hertfordshire": "Hertfordshire Constabulary",
    "humberside": "Humberside Police",
    "kent": "Kent Police",
    "lancashire": "Lancashire Constabulary",
    "leicestershire": "Leicestershire Police",
    "lincolnshire": "Lincolnshire Police",
    "merseyside": "Merseyside Police",
    "metropolitan": "Metropolitan Police Service",
    "norfolk": "Norfolk Constabulary",
    "north-wales": "North Wales Police",
    "north-yorkshire": "North Yorkshire Police",
    "northamptonshire": "Northamptonshire Police",
    "northumbria": "Northumbria Police",
    "nottinghamshire": "Nottinghamshire Police",
    "northern-ireland": "Police Service of Northern Ireland",
    "south-wales": "South Wales Police",
    "south-yorkshire": "South Yorkshire Police",
    "staffordshire": "Staffordshire Police",
    "suffolk": "Suffolk Constabulary",
    "surrey": "Surrey Police",
    "sussex": "Sussex Police",
    "thames-valley": "Thames Valley Police",
    "warwickshire": "Warwickshire Police",
    "west-mercia": "West Mercia Police",
    "west-midlands": "West Midlands Police",
    "west-yorkshire": "West Yorkshire Police",
    "wiltshire": "Wiltshire Police",
}

# 101 is the police non-emergency number throughout England and Wales.
NON_EMERGENCY_TELEPHONE = "101"
FORCE_WEBSITES: dict[str, str] = {
    "west-yorkshire": "https://www.westyorkshire.police.uk/",
}

# The crime-sim-toolkit lookup leaves Police_force blank for these local authorities
# (3,335 LSOAs). Each lies wholly inside one police force area (police areas are built from
# whole local authorities), so the force is filled in from the local authority.
FORCE_OF_UNASSIGNED_LOCAL_AUTHORITY: dict[str, str] = {
    "E06000048": "northumbria",  # Northumberland
    "E08000020": "northumbria",  # Gateshead
    "E07000040": "devon-and-cornwall",  # East Devon
    "E07000042": "devon-and-cornwall",  # Mid Devon
    "E07000043": "devon-and-cornwall",  # North Devon
    "E07000044": "devon-and-cornwall",  # South Hams
    "E07000045": "devon-and-cornwall",  # Teignbridge
    "E07000046": "devon-and-cornwall",  # Torridge
    "E07000047": "devon-and-cornwall",  # West Devon
    "E07000048": "dorset",  # Christchurch
    "E07000049": "dorset",  # East Dorset
    "E07000050": "dorset",  # North Dorset
    "E07000051": "dorset",  # Purbeck
    "E07000052": "dorset",  # West Dorset
    "E07000053": "dorset",  # Weymouth and Portland
    "E07000084": "hampshire",  # Basingstoke and Deane
    "E07000089": "hampshire",  # Hart
    "E07000092": "hampshire",  # Rushmoor
    "E07000097": "hertfordshire",  # East Hertfordshire
    "E07000100": "hertfordshire",  # St Albans
    "E07000101": "hertfordshire",  # Stevenage
    "E07000104": "hertfordshire",  # Welwyn Hatfield
    "E07000107": "kent",  # Dartford
    "E07000109": "kent",  # Gravesham
    "E07000151": "northamptonshire",  # Daventry
    "E07000155": "northamptonshire",  # South Northamptonshire
    "E07000163": "north-yorkshire",  # Craven
    "E07000164": "north-yorkshire",  # Hambleton
    "E07000165": "north-yorkshire",  # Harrogate
    "E07000166": "north-yorkshire",  # Richmondshire
    "E07000167": "north-yorkshire",  # Ryedale
    "E07000168": "north-yorkshire",  # Scarborough
    "E07000169": "north-yorkshire",  # Selby
    "E07000172": "nottinghamshire",  # Broxtowe
    "E07000173": "nottinghamshire",  # Gedling
    "E07000176": "nottinghamshire",  # Rushcliffe
    "E07000187": "avon-and-somerset",  # Mendip
    "E07000188": "avon-and-somerset",  # Sedgemoor
    "E07000189": "avon-and-somerset",  # South Somerset
    "E07000190": "avon-and-somerset",  # Taunton Deane
    "E07000191": "avon-and-somerset",  # West Somerset
    "E07000200": "suffolk",  # Babergh
    "E07000201": "suffolk",  # Forest Heath
    "E07000203": "suffolk",  # Mid Suffolk
    "E07000204": "suffolk",  # St Edmundsbury
    "E07000221": "warwickshire",  # Stratford-on-Avon
    "E07000222": "warwickshire",  # Warwick
    "E07000234": "west-mercia",  # Bromsgrove
    "E07000235": "west-mercia",  # Malvern Hills
    "E07000236": "west-mercia",  # Redditch
    "E07000237": "west-mercia",  # Worcester
    "E07000238": "west-mercia",  # Wychavon
    "E07000239": "west-mercia",  # Wyre Forest
}


def _slug(text: str) -> str:
    text = text.strip().lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


_ID_BY_SPELLING: dict[str, str] = {}
for _force_id, _force_name in POLICE_UK_FORCES.items():
    _ID_BY_SPELLING[_force_id] = _force_id
    _ID_BY_SPELLING[_slug(_force_name)] = _force_id
_ID_BY_SPELLING.update({"metropolitan-police": "metropolitan", "british-transport-police": "btp"})


def force_id_for(spelling: str) -> str:
    """police.uk id for a force named as the ONS lookup, police.uk or a person would write it."""
    slug = _slug(spelling)
    for candidate in (slug, slug.removesuffix("-police"), slug.removesuffix("-constabulary")):
        if candidate in _ID_BY_SPELLING:
            return _ID_BY_SPELLING[candidate]
    raise AreasError(f"unknown police force {spelling!r}: not one of data.police.uk's forces")


def force_name(force_id: str) -> str:
    return POLICE_UK_FORCES[force_id]
