"""Tests of the SQL the example runs, without PyFlink or a network: `python3 -m unittest` in this folder."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "app"))

import main  # noqa: E402

INPUT = {
    "stream.arn": "arn:aws:kinesis:us-east-1:123456789012:stream/positions",
    "stream.name": "positions",
    "aws.region": "us-east-1",
}


class StatementsTest(unittest.TestCase):
    def test_reads_the_stream_of_the_input_group_from_the_latest_record(self):
        source, _, _ = main.statements({"InputStream": INPUT})
        self.assertIn("'connector' = 'kinesis'", source)
        self.assertIn("'stream' = 'positions'", source)
        self.assertIn("'aws.region' = 'us-east-1'", source)
        self.assertIn("'scan.stream.initpos' = 'LATEST'", source)
        self.assertNotIn("EFO", source)

    def test_starts_where_the_app_group_says(self):
        source, _, _ = main.statements({"InputStream": INPUT, "TruckCounts": {"scan.stream.initpos": "TRIM_HORIZON"}})
        self.assertIn("'scan.stream.initpos' = 'TRIM_HORIZON'", source)

    def test_reads_through_the_given_consumer_without_registering_one(self):
        consumer_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/positions/consumer/truck-counts:1"
        efo = {"efo.consumer.name": "truck-counts", "efo.consumer.arn": consumer_arn}
        source, _, _ = main.statements({"InputStream": {**INPUT, **efo}})
        self.assertIn("'scan.stream.recordpublisher' = 'EFO'", source)
        self.assertIn("'scan.stream.efo.consumername' = 'truck-counts'", source)
        self.assertIn("'scan.stream.efo.registration' = 'NONE'", source)
        self.assertIn(f"'scan.stream.efo.consumerarn.positions' = '{consumer_arn}'", source)

    def test_counts_each_truck_per_tumbling_minute(self):
        _, _, query = main.statements({"InputStream": INPUT})
        self.assertIn("TUMBLE(TABLE positions, DESCRIPTOR(proc_time), INTERVAL '1' MINUTE)", query)
        self.assertIn("GROUP BY truckId, window_start, window_end", query)
        self.assertIn("COUNT(*) AS positions", query)

    def test_sinks_to_print_or_to_a_stream(self):
        _, sink, _ = main.statements({"InputStream": INPUT})
        self.assertIn("'connector' = 'print'", sink)
        _, sink, _ = main.statements({"InputStream": INPUT, "TruckCounts": {"sink.stream.name": "truck-counts"}})
        self.assertIn("'stream' = 'truck-counts'", sink)
        self.assertIn("PARTITIONED BY (truckId)", sink)

    def test_quotes_values(self):
        self.assertEqual(main.quote("it's"), "'it''s'")

    def test_loads_the_service_property_file(self):
        groups = [{"PropertyGroupId": "InputStream", "PropertyMap": INPUT}]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(groups, handle)
        try:
            self.assertEqual(main.load_property_groups(handle.name), {"InputStream": INPUT})
        finally:
            os.unlink(handle.name)


if __name__ == "__main__":
    unittest.main()
