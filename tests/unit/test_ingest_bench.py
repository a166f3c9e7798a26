"""Pure parts of the ingest benchmark: the machine's busy CPU time, and our indexes mapped onto the file's columns."""

from __future__ import annotations

import time

from benchmarks.common import busy_seconds
from benchmarks.ingest import on_file


def test_busy_time_grows_by_at_least_the_cpu_this_process_spends():
    b0, c0 = busy_seconds(), time.process_time()
    while time.process_time() - c0 < 0.3:
        pass
    spent, busy = time.process_time() - c0, busy_seconds() - b0
    assert busy >= spent - 0.05  # clock ticks are 10 ms


def test_keys_on_columns_the_file_lacks_name_the_files_own():
    on = "ON public.ogr_violations USING btree"
    unique = f"CREATE UNIQUE INDEX ogr_violations_dataset_id_ext_id_key {on} (dataset_id, ext_id)"
    by_facility = f"CREATE INDEX ogr_violations_facility_idx {on} (facility_id, violation_date)"
    unique, by_facility = on_file("violations", unique), on_file("violations", by_facility)
    assert unique.endswith("USING btree (ext_id)") and unique.startswith("CREATE UNIQUE INDEX")
    assert by_facility.endswith("USING btree (facility_ext_id, date)")
    company = on_file("facilities", "CREATE INDEX ogr_facilities_company_idx ON public.ogr_facilities USING btree "
                                    "(company_id)")
    assert company.endswith("(uscc)")
