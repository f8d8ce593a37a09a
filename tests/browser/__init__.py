"""Browser tests. A package (not a bare folder) so the package-scoped demo data is removed
as soon as these tests end, before the rest of the suite runs (see conftest.demo_data)."""
