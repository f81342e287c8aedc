from collections import defaultdict

from watchhouse.crimes.geography import forces_with_located_crimes, lsoa_map_points, lsoa_point_centroids



def test_lsoa_point_centroids_average_distinct_points_and_count_crimes(with_crimes, crime_rows):
    expected_points = defaultdict(set)
    expected_counts = defaultdict(int)
    for row in crime_rows():
        expected_points[row["lsoa_code"]].add((row["latitude"], row["longitude"]))
        expected_counts[row["lsoa_code"]] += 1

    centroids = lsoa_point_centroids(with_crimes, "west-yorkshire")

    assert set(centroids) == set(expected_points)
    for code, points in expected_points.items():
        lat, lng, count = centroids[code]
        assert count == expected_counts[code]
        assert abs(lat - sum(p[0] for p in points) / len(points)) < 1e-9
        assert abs(lng - sum(p[1] for p in points) / len(points)) < 1e-9


def test_map_points_are_distinct_with_their_crime_counts(with_crimes, crime_rows):
    points = lsoa_map_points(with_crimes, "west-yorkshire")
    total = sum(count for lsoa in points.values() for *_, count in lsoa)
    assert total == len(crime_rows())
    assert all(len(set((lat, lng) for lat, lng, _ in lsoa)) == len(lsoa) for lsoa in points.values())
    assert lsoa_map_points(with_crimes, "durham") == {}


def test_forces_with_located_crimes(engine, with_crimes):
    assert forces_with_located_crimes(with_crimes) == ["west-yorkshire"]
