"""police.uk JSON shapes, field by field, as the published API documentation gives them."""

from watchhouse.crimes.query import CrimeOutcome, MapPoint, Stop, StreetCrime
from watchhouse.publish import shapes

PID = "5400f54e4e0ca7c0aecfdd00b0d83ee808a138c7232b530979fa6e5849a63df0"


def _crime(**changes) -> StreetCrime:
    values = dict(
        id=7,
        persistent_id=PID,
        month="2018-07",
        category="vehicle-crime",
        latitude=53.799722,
        longitude=-1.549077,
        location_id=1234,
        location_name="On or near Briggate",
        reported_by="West Yorkshire Police",
        force_code="west-yorkshire",
        context="",
        outcome_category="Under investigation",
        outcome_month="2018-08",
    )
    values.update(changes)
    return StreetCrime(**values)


def test_located_crime_has_every_field_in_police_uk_form():
    item = shapes.crime(_crime())
    assert list(item) == [
        "category", "location_type", "location", "context", "outcome_status",
        "persistent_id", "id", "location_subtype", "month",
    ]
    assert item["category"] == "vehicle-crime"
    assert item["location_type"] == "Force"
    assert item["location"] == {
        "latitude": "53.799722",
        "street": {"id": 1234, "name": "On or near Briggate"},
        "longitude": "-1.549077",
    }
    assert item["context"] == ""
    assert item["outcome_status"] == {"category": "Under investigation", "date": "2018-08"}
    assert item["persistent_id"] == PID
    assert item["id"] == 7 and isinstance(item["id"], int)
    assert item["location_subtype"] == ""
    assert item["month"] == "2018-07"


def test_coordinates_are_strings_with_six_decimals_even_when_trailing_zeros():
    item = shapes.crime(_crime(latitude=53.8, longitude=-1.55))
    assert item["location"]["latitude"] == "53.800000"
    assert item["location"]["longitude"] == "-1.550000"


def test_anti_social_behaviour_has_empty_persistent_id_and_null_outcome():
    item = shapes.crime(_crime(persistent_id="", category="anti-social-behaviour", outcome_category=None, outcome_month=None))
    assert item["persistent_id"] == ""
    assert item["outcome_status"] is None


def test_outcome_status_date_falls_back_to_crime_month():
    item = shapes.crime(_crime(outcome_month=None))
    assert item["outcome_status"] == {"category": "Under investigation", "date": "2018-07"}


def test_crime_without_location_has_null_location_and_type():
    item = shapes.crime(_crime(latitude=None, longitude=None, location_id=None, location_name=None))
    assert item["location"] is None
    assert item["location_type"] is None
    assert item["location_subtype"] == ""


def test_british_transport_police_crime_is_location_type_btp():
    assert shapes.crime(_crime(force_code="btp", reported_by="British Transport Police"))["location_type"] == "BTP"


def test_outcomes_for_crime_has_crime_without_outcome_status_and_coded_categories():
    body = shapes.outcomes_for_crime(
        _crime(), [CrimeOutcome("charged", "Suspect charged", "2018-08"), CrimeOutcome("fined", "Offender fined", "2018-09")]
    )
    assert set(body) == {"crime", "outcomes"}
    assert "outcome_status" not in body["crime"]
    assert body["crime"]["persistent_id"] == PID
    assert body["outcomes"] == [
        {"category": {"code": "charged", "name": "Suspect charged"}, "date": "2018-08", "person_id": None},
        {"category": {"code": "fined", "name": "Offender fined"}, "date": "2018-09", "person_id": None},
    ]


def test_stop_shape_converts_flags_and_snaps_to_street():
    stop = Stop(
        id=1, force_code="west-yorkshire", month="2018-07", datetime="2018-07-01T10:15:00+00:00", type="Person search",
        operation="False", operation_name="", latitude=53.8, longitude=-1.55, gender="Male", age_range="18-24",
        self_defined_ethnicity="White - English/Welsh/Scottish/Northern Irish/British", officer_defined_ethnicity="White",
        legislation="Misuse of Drugs Act 1971 (section 23)", object_of_search="Controlled drugs",
        outcome="A no further action disposal", outcome_linked_to_object_of_search="False",
        removal_of_more_than_outer_clothing="",
    )
    item = shapes.stop(stop, MapPoint(99, 53.8, -1.55, "On or near Centre Street"))
    assert item["involved_person"] is True
    assert item["operation"] is False
    assert item["operation_name"] is None
    assert item["outcome_linked_to_object_of_search"] is False
    assert item["removal_of_more_than_outer_clothing"] is None
    assert item["outcome_object"] == {"id": "bu-no-further-action", "name": "A no further action disposal"}
    assert item["location"] == {"latitude": "53.800000", "street": {"id": 99, "name": "On or near Centre Street"}, "longitude": "-1.550000"}
    assert item["datetime"] == "2018-07-01T10:15:00+00:00"
    vehicle = shapes.stop(stop._replace(type="Vehicle search", latitude=None, longitude=None))
    assert vehicle["involved_person"] is False
    assert vehicle["location"] is None


def test_boundary_points_are_string_pairs():
    assert shapes.boundary([(53.8, -1.55), (53.81, -1.54)]) == [
        {"latitude": "53.800000", "longitude": "-1.550000"},
        {"latitude": "53.810000", "longitude": "-1.540000"},
    ]
